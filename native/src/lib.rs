//! C ABI of the T3N node's native part. Everything here is called from
//! `src/crypto` (C++), which checks lengths and null pointers before calling;
//! these functions still refuse null pointers and return a status instead of
//! panicking across the FFI boundary.
//!
//! Return codes: 0 = ok, -1 = invalid input (bad key, bad length), -2 = the
//! primitive failed (e.g. ML-DSA rejection-sampling exhaustion).

// Link Wasmtime's C API into the same static library.
pub use wasmtime_c_api;

use libcrux_ml_dsa::ml_dsa_65 as mldsa;
use libcrux_ml_kem::mlkem768 as mlkem;
use sha3::{Digest, Keccak256, Keccak512};
use std::slice;

pub const MLKEM768_EK_LEN: usize = 1184;
pub const MLKEM768_DK_LEN: usize = 2400;
pub const MLKEM768_CT_LEN: usize = 1088;
pub const MLDSA65_PK_LEN: usize = 1952;
pub const MLDSA65_SK_LEN: usize = 4032;
pub const MLDSA65_SIG_LEN: usize = 3309;

const OK: i32 = 0;
const INVALID: i32 = -1;
const FAILED: i32 = -2;

unsafe fn arr<'a, const N: usize>(p: *const u8) -> Option<&'a [u8; N]> {
    if p.is_null() {
        None
    } else {
        Some(&*(p as *const [u8; N]))
    }
}

unsafe fn bytes<'a>(p: *const u8, len: usize) -> Option<&'a [u8]> {
    if len == 0 {
        Some(&[])
    } else if p.is_null() {
        None
    } else {
        Some(slice::from_raw_parts(p, len))
    }
}

unsafe fn out<'a>(p: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if p.is_null() {
        None
    } else {
        Some(slice::from_raw_parts_mut(p, len))
    }
}

/// FIPS 203 ML-KEM.KeyGen_internal(d, z): `seed` = d ‖ z (64 bytes).
#[no_mangle]
pub unsafe extern "C" fn t3n_mlkem768_keygen(seed: *const u8, ek: *mut u8, dk: *mut u8) -> i32 {
    let (Some(seed), Some(ek), Some(dk)) =
        (arr::<64>(seed), out(ek, MLKEM768_EK_LEN), out(dk, MLKEM768_DK_LEN))
    else {
        return INVALID;
    };
    let kp = mlkem::generate_key_pair(*seed);
    ek.copy_from_slice(kp.pk());
    dk.copy_from_slice(kp.sk());
    OK
}

/// FIPS 203 §7.2 encapsulation key check (modulus check).
#[no_mangle]
pub unsafe extern "C" fn t3n_mlkem768_check_ek(ek: *const u8) -> i32 {
    let Some(ek) = arr::<MLKEM768_EK_LEN>(ek) else { return INVALID };
    if mlkem::validate_public_key(&mlkem::MlKem768PublicKey::from(ek)) {
        OK
    } else {
        INVALID
    }
}

/// FIPS 203 §7.3 decapsulation key check (hash check).
#[no_mangle]
pub unsafe extern "C" fn t3n_mlkem768_check_dk(dk: *const u8) -> i32 {
    let Some(dk) = arr::<MLKEM768_DK_LEN>(dk) else { return INVALID };
    // Only the per-platform modules export this check; it is a hash, not hot.
    if mlkem::portable::validate_private_key_only(&mlkem::MlKem768PrivateKey::from(dk)) {
        OK
    } else {
        INVALID
    }
}

/// ML-KEM.Encaps_internal(ek, m). Refuses an encapsulation key that fails
/// the modulus check.
#[no_mangle]
pub unsafe extern "C" fn t3n_mlkem768_encaps(
    ek: *const u8,
    m: *const u8,
    ct: *mut u8,
    ss: *mut u8,
) -> i32 {
    let (Some(ek), Some(m), Some(ct), Some(ss)) = (
        arr::<MLKEM768_EK_LEN>(ek),
        arr::<32>(m),
        out(ct, MLKEM768_CT_LEN),
        out(ss, 32),
    ) else {
        return INVALID;
    };
    let pk = mlkem::MlKem768PublicKey::from(ek);
    if !mlkem::validate_public_key(&pk) {
        return INVALID;
    }
    let (c, k) = mlkem::encapsulate(&pk, *m);
    ct.copy_from_slice(c.as_ref());
    ss.copy_from_slice(&k);
    OK
}

/// ML-KEM.Decaps (implicit rejection: a bad ciphertext yields a pseudorandom key).
#[no_mangle]
pub unsafe extern "C" fn t3n_mlkem768_decaps(dk: *const u8, ct: *const u8, ss: *mut u8) -> i32 {
    let (Some(dk), Some(ct), Some(ss)) =
        (arr::<MLKEM768_DK_LEN>(dk), arr::<MLKEM768_CT_LEN>(ct), out(ss, 32))
    else {
        return INVALID;
    };
    let sk = mlkem::MlKem768PrivateKey::from(dk);
    let k = mlkem::decapsulate(&sk, &mlkem::MlKem768Ciphertext::from(ct));
    ss.copy_from_slice(&k);
    OK
}

/// FIPS 204 ML-DSA.KeyGen_internal(ξ).
#[no_mangle]
pub unsafe extern "C" fn t3n_mldsa65_keygen(seed: *const u8, pk: *mut u8, sk: *mut u8) -> i32 {
    let (Some(seed), Some(pk), Some(sk)) =
        (arr::<32>(seed), out(pk, MLDSA65_PK_LEN), out(sk, MLDSA65_SK_LEN))
    else {
        return INVALID;
    };
    let kp = mldsa::generate_key_pair(*seed);
    pk.copy_from_slice(kp.verification_key.as_slice());
    sk.copy_from_slice(kp.signing_key.as_slice());
    OK
}

/// FIPS 204 ML-DSA.Sign (external, pure) with explicit randomness `rnd`
/// (32 zero bytes = deterministic variant).
#[no_mangle]
pub unsafe extern "C" fn t3n_mldsa65_sign(
    sk: *const u8,
    msg: *const u8,
    msg_len: usize,
    ctx: *const u8,
    ctx_len: usize,
    rnd: *const u8,
    sig: *mut u8,
) -> i32 {
    let (Some(sk), Some(msg), Some(ctx), Some(rnd), Some(sig)) = (
        arr::<MLDSA65_SK_LEN>(sk),
        bytes(msg, msg_len),
        bytes(ctx, ctx_len),
        arr::<32>(rnd),
        out(sig, MLDSA65_SIG_LEN),
    ) else {
        return INVALID;
    };
    if ctx.len() > 255 {
        return INVALID;
    }
    let key = mldsa::MLDSA65SigningKey::new(*sk);
    match mldsa::sign(&key, msg, ctx, *rnd) {
        Ok(s) => {
            sig.copy_from_slice(s.as_slice());
            OK
        }
        Err(_) => FAILED,
    }
}

/// FIPS 204 ML-DSA.Verify (external, pure). 0 = valid.
#[no_mangle]
pub unsafe extern "C" fn t3n_mldsa65_verify(
    pk: *const u8,
    msg: *const u8,
    msg_len: usize,
    ctx: *const u8,
    ctx_len: usize,
    sig: *const u8,
) -> i32 {
    let (Some(pk), Some(msg), Some(ctx), Some(sig)) = (
        arr::<MLDSA65_PK_LEN>(pk),
        bytes(msg, msg_len),
        bytes(ctx, ctx_len),
        arr::<MLDSA65_SIG_LEN>(sig),
    ) else {
        return INVALID;
    };
    if ctx.len() > 255 {
        return INVALID;
    }
    let key = mldsa::MLDSA65VerificationKey::new(*pk);
    let s = mldsa::MLDSA65Signature::new(*sig);
    match mldsa::verify(&key, msg, ctx, &s) {
        Ok(()) => OK,
        Err(_) => INVALID,
    }
}

/// FIPS 204 Algorithm 7, ML-DSA.Sign_internal(sk, M', rnd): the caller has
/// already built M' (pure or HashML-DSA domain separation).
#[no_mangle]
pub unsafe extern "C" fn t3n_mldsa65_sign_internal(
    sk: *const u8,
    mprime: *const u8,
    mprime_len: usize,
    rnd: *const u8,
    sig: *mut u8,
) -> i32 {
    let (Some(sk), Some(m), Some(rnd), Some(sig)) = (
        arr::<MLDSA65_SK_LEN>(sk),
        bytes(mprime, mprime_len),
        arr::<32>(rnd),
        out(sig, MLDSA65_SIG_LEN),
    ) else {
        return INVALID;
    };
    let key = mldsa::MLDSA65SigningKey::new(*sk);
    match mldsa::sign_internal(&key, m, *rnd) {
        Ok(s) => {
            sig.copy_from_slice(s.as_slice());
            OK
        }
        Err(_) => FAILED,
    }
}

/// FIPS 204 Algorithm 8, ML-DSA.Verify_internal(pk, M', σ). 0 = valid.
#[no_mangle]
pub unsafe extern "C" fn t3n_mldsa65_verify_internal(
    pk: *const u8,
    mprime: *const u8,
    mprime_len: usize,
    sig: *const u8,
) -> i32 {
    let (Some(pk), Some(m), Some(sig)) = (
        arr::<MLDSA65_PK_LEN>(pk),
        bytes(mprime, mprime_len),
        arr::<MLDSA65_SIG_LEN>(sig),
    ) else {
        return INVALID;
    };
    let key = mldsa::MLDSA65VerificationKey::new(*pk);
    let s = mldsa::MLDSA65Signature::new(*sig);
    match mldsa::verify_internal(&key, m, &s) {
        Ok(()) => OK,
        Err(_) => INVALID,
    }
}

/// Keccak-256 (original Keccak padding, as Ethereum uses it).
#[no_mangle]
pub unsafe extern "C" fn t3n_keccak256(data: *const u8, len: usize, digest: *mut u8) -> i32 {
    let (Some(data), Some(digest)) = (bytes(data, len), out(digest, 32)) else {
        return INVALID;
    };
    digest.copy_from_slice(&Keccak256::digest(data));
    OK
}

/// Keccak-512 (original Keccak padding): the T3N SDK's attestation binding.
#[no_mangle]
pub unsafe extern "C" fn t3n_keccak512(data: *const u8, len: usize, digest: *mut u8) -> i32 {
    let (Some(data), Some(digest)) = (bytes(data, len), out(digest, 64)) else {
        return INVALID;
    };
    digest.copy_from_slice(&Keccak512::digest(data));
    OK
}

/// `wasmtime_store_limiter` with `trap_on_grow_failure`: a refused
/// `memory.grow` (or table growth) traps with "forcing trap when growing
/// memory…" instead of returning -1, so the runtime can report the memory
/// limit as the reason a call stopped. The C API has no such switch; its
/// store keeps the limits in a public field, so they are replaced here after
/// the C API has installed the limiter. Negative values mean "no limit".
#[no_mangle]
pub unsafe extern "C" fn t3n_store_limiter_trapping(
    store: *mut wasmtime_c_api::wasmtime_store_t,
    memory_size: i64,
    table_elements: i64,
    instances: i64,
    tables: i64,
    memories: i64,
) -> i32 {
    let Some(store) = store.as_mut() else { return INVALID };
    wasmtime_c_api::wasmtime_store_limiter(store, memory_size, table_elements, instances, tables, memories);
    let mut limits = wasmtime_c_api::wasmtime::StoreLimitsBuilder::new().trap_on_grow_failure(true);
    if memory_size >= 0 {
        limits = limits.memory_size(memory_size as usize);
    }
    if table_elements >= 0 {
        limits = limits.table_elements(table_elements as usize);
    }
    if instances >= 0 {
        limits = limits.instances(instances as usize);
    }
    if tables >= 0 {
        limits = limits.tables(tables as usize);
    }
    if memories >= 0 {
        limits = limits.memories(memories as usize);
    }
    let mut cx = wasmtime_c_api::wasmtime_store_context(store);
    cx.data_mut().store_limits = limits.build();
    OK
}

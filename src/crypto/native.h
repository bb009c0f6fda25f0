// The C ABI of native/ (Rust): ML-KEM-768, ML-DSA-65 (libcrux) and Keccak-256.
// Internal to src/crypto: everyone else uses mlkem.h / mldsa.h / hash.h.
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" {
int t3n_mlkem768_keygen(const std::uint8_t* seed64, std::uint8_t* ek, std::uint8_t* dk);
int t3n_mlkem768_check_ek(const std::uint8_t* ek);
int t3n_mlkem768_check_dk(const std::uint8_t* dk);
int t3n_mlkem768_encaps(const std::uint8_t* ek, const std::uint8_t* m32, std::uint8_t* ct, std::uint8_t* ss);
int t3n_mlkem768_decaps(const std::uint8_t* dk, const std::uint8_t* ct, std::uint8_t* ss);
int t3n_mldsa65_keygen(const std::uint8_t* seed32, std::uint8_t* pk, std::uint8_t* sk);
int t3n_mldsa65_sign(const std::uint8_t* sk, const std::uint8_t* msg, std::size_t msg_len, const std::uint8_t* ctx,
                     std::size_t ctx_len, const std::uint8_t* rnd32, std::uint8_t* sig);
int t3n_mldsa65_verify(const std::uint8_t* pk, const std::uint8_t* msg, std::size_t msg_len, const std::uint8_t* ctx,
                       std::size_t ctx_len, const std::uint8_t* sig);
int t3n_mldsa65_sign_internal(const std::uint8_t* sk, const std::uint8_t* mprime, std::size_t mprime_len,
                              const std::uint8_t* rnd32, std::uint8_t* sig);
int t3n_mldsa65_verify_internal(const std::uint8_t* pk, const std::uint8_t* mprime, std::size_t mprime_len,
                                const std::uint8_t* sig);
int t3n_keccak256(const std::uint8_t* data, std::size_t len, std::uint8_t* digest32);
int t3n_keccak512(const std::uint8_t* data, std::size_t len, std::uint8_t* digest64);
}

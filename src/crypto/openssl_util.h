// RAII holders for OpenSSL objects and the error-queue reader: the project's
// only set of OpenSSL deleters. Internal to src/crypto (no other module
// includes an OpenSSL header).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.h"

namespace t3n::crypto::detail {

// One deleter per OpenSSL type, from its free function.
template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using PkeyDeleter = FreeWith<EVP_PKEY_free>;
using PkeyCtxDeleter = FreeWith<EVP_PKEY_CTX_free>;
using MdCtxDeleter = FreeWith<EVP_MD_CTX_free>;
using MdDeleter = FreeWith<EVP_MD_free>;
using CipherCtxDeleter = FreeWith<EVP_CIPHER_CTX_free>;
using BnDeleter = FreeWith<BN_clear_free>;  // wipes: BIGNUMs may hold scalars
using BnCtxDeleter = FreeWith<BN_CTX_free>;
using EcPointDeleter = FreeWith<EC_POINT_clear_free>;
using EcGroupDeleter = FreeWith<EC_GROUP_free>;
using KdfCtxDeleter = FreeWith<EVP_KDF_CTX_free>;
using EcdsaSigDeleter = FreeWith<ECDSA_SIG_free>;
using ParamBldDeleter = FreeWith<OSSL_PARAM_BLD_free>;
using ParamDeleter = FreeWith<OSSL_PARAM_free>;
using BioDeleter = FreeWith<BIO_free>;
using X509Deleter = FreeWith<X509_free>;
using CrlDeleter = FreeWith<X509_CRL_free>;
using RevokedDeleter = FreeWith<X509_REVOKED_free>;
using NameDeleter = FreeWith<X509_NAME_free>;
using ExtDeleter = FreeWith<X509_EXTENSION_free>;
using StoreDeleter = FreeWith<X509_STORE_free>;
using StoreCtxDeleter = FreeWith<X509_STORE_CTX_free>;
using ObjDeleter = FreeWith<ASN1_OBJECT_free>;
using OctetDeleter = FreeWith<ASN1_OCTET_STRING_free>;
using IntegerDeleter = FreeWith<ASN1_INTEGER_free>;
using TimeDeleter = FreeWith<ASN1_TIME_free>;
// Buffers OpenSSL allocates for its callers (i2d_… with a null output).
struct OpensslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
// A stack of certificates owns its elements.
struct X509StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};

using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using MdPtr = std::unique_ptr<EVP_MD, MdDeleter>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxDeleter>;
using BnPtr = std::unique_ptr<BIGNUM, BnDeleter>;
using BnCtxPtr = std::unique_ptr<BN_CTX, BnCtxDeleter>;
using EcPointPtr = std::unique_ptr<EC_POINT, EcPointDeleter>;
using EcGroupPtr = std::unique_ptr<EC_GROUP, EcGroupDeleter>;
using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, KdfCtxDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldDeleter>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamDeleter>;
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlDeleter>;
using RevokedPtr = std::unique_ptr<X509_REVOKED, RevokedDeleter>;
using NamePtr = std::unique_ptr<X509_NAME, NameDeleter>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, ExtDeleter>;
using StorePtr = std::unique_ptr<X509_STORE, StoreDeleter>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, ObjDeleter>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, OctetDeleter>;
using IntegerPtr = std::unique_ptr<ASN1_INTEGER, IntegerDeleter>;
using TimePtr = std::unique_ptr<ASN1_TIME, TimeDeleter>;
using OpensslBufferPtr = std::unique_ptr<unsigned char, OpensslFree>;
using X509StackPtr = std::unique_ptr<STACK_OF(X509), X509StackDeleter>;

// Drains OpenSSL's thread-local error queue into a Status with `code`.
inline common::Status openssl_error(common::ErrorCode code, std::string_view what) {
  std::string msg(what);
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += " (";
    msg += buf;
    msg += ")";
  }
  ERR_clear_error();
  return {code, std::move(msg)};
}

}  // namespace t3n::crypto::detail

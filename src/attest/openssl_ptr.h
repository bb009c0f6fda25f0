// Owning pointers for the OpenSSL objects this module uses: one deleter per
// type, defined once (internal to src/attest).
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string_view>

#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest::detail {

template <auto Free>
struct FreeWith {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};

using X509Deleter = FreeWith<X509_free>;
using CrlDeleter = FreeWith<X509_CRL_free>;
using NameDeleter = FreeWith<X509_NAME_free>;
using ExtDeleter = FreeWith<X509_EXTENSION_free>;
using StoreDeleter = FreeWith<X509_STORE_free>;
using StoreCtxDeleter = FreeWith<X509_STORE_CTX_free>;
using PkeyDeleter = FreeWith<EVP_PKEY_free>;
using PkeyCtxDeleter = FreeWith<EVP_PKEY_CTX_free>;
using MdCtxDeleter = FreeWith<EVP_MD_CTX_free>;
using EcdsaSigDeleter = FreeWith<ECDSA_SIG_free>;
using BnDeleter = FreeWith<BN_free>;
using BioDeleter = FreeWith<BIO_free>;
using ObjDeleter = FreeWith<ASN1_OBJECT_free>;
using OctetDeleter = FreeWith<ASN1_OCTET_STRING_free>;
using IntegerDeleter = FreeWith<ASN1_INTEGER_free>;
using TimeDeleter = FreeWith<ASN1_TIME_free>;
using BldDeleter = FreeWith<OSSL_PARAM_BLD_free>;
using ParamDeleter = FreeWith<OSSL_PARAM_free>;

// A stack of certificates owns its elements.
struct StackDeleter {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};

using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using CrlPtr = std::unique_ptr<X509_CRL, CrlDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// The first PEM certificate in `pem`; kInvalidArgument "<what>: unparsable
// certificate" otherwise. (Defined in x509_chain.cpp.)
Result<X509Ptr> parse_pem_certificate(std::string_view pem, std::string_view what);
// A certificate's DER encoding (empty if OpenSSL cannot encode it).
Bytes certificate_der(const X509* cert);

}  // namespace t3n::attest::detail

// Certificate chains to a pinned root (through crypto/x509): shared by the PCK chain in
// quotes and the TCB Signing chain of collateral.
#pragma once

#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "attest/tdx_quote.h"
#include "common/bytes.h"
#include "common/status.h"

namespace t3n::attest {

// Splits a PEM bundle into its certificates (at most 8).
Result<std::vector<std::string>> split_pem_certificates(std::string_view pem);

// A DER CRL's nextUpdate.
Result<std::time_t> crl_next_update(ByteView crl_der);

// The subject (issuer) common name of a PEM certificate, as C text: at most
// 255 bytes, up to the first NUL.
Result<std::string> certificate_common_name(const std::string& pem);
Result<std::string> certificate_issuer_common_name(const std::string& pem, std::string_view what);

// Verifies leaf → … → root, where the root's DER SHA-256 must equal
// options.root_ca_sha256, at options.at, with options.crls_der when given.
// Returns the leaf's uncompressed P-256 public key.
Result<Bytes> verify_chain_to_pinned_root(const std::vector<std::string>& pem_chain, const CertCheckOptions& options,
                                          std::string_view what);

// The same checks for DER certificates (leaf first, root last) of any key
// type and signature scheme OpenSSL accepts (RSA-PSS, P-384 for AMD and AWS).
// Returns the leaf's SubjectPublicKeyInfo (DER).
Result<Bytes> verify_der_chain_to_pinned_root(const std::vector<Bytes>& der_chain, const CertCheckOptions& options,
                                              std::string_view what);

}  // namespace t3n::attest

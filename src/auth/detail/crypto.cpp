#include "auth/detail/crypto.hpp"

#include "core/ids.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <array>

namespace herald::auth::detail {
namespace {

template <auto Free> struct Deleter {
  template <class T> void operator()(T* p) const noexcept { Free(p); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;
using PkeyCtx = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO_free>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ParamBuilder = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD_free>>;
using Params = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM_free>>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG_free>>;
using DecoderCtx = std::unique_ptr<OSSL_DECODER_CTX, Deleter<OSSL_DECODER_CTX_free>>;

constexpr std::size_t kSha256Bytes = 32;
constexpr std::size_t kP256ScalarBytes = 32;
// 2048 bits is the floor of current guidance (NIST SP 800-131A); shorter RSA keys are forgeable.
constexpr int kMinRsaBits = 2048;

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// OpenSSL reports failures on a per-thread queue. Drop what we pushed so that other layers
// sharing the thread (TLS in transport) never read our stale errors as theirs.
class ErrorMark {
public:
  ErrorMark() { ERR_set_mark(); }
  ~ErrorMark() { ERR_pop_to_mark(); }
  ErrorMark(const ErrorMark&) = delete;
  ErrorMark& operator=(const ErrorMark&) = delete;
};

// Refuses encrypted PEM instead of letting OpenSSL prompt on the terminal.
int no_password(char*, int, int, void*) { return 0; }

// Both init functions return the EVP_PKEY_CTX owned by the EVP_MD_CTX.
bool set_padding(Algorithm algorithm, EVP_PKEY_CTX* pctx) {
  return algorithm != Algorithm::RS256 || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
}

SharedPkey from_params(const char* type, const OSSL_PARAM* params) {
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, const_cast<OSSL_PARAM*>(params)) != 1)
    return nullptr;
  return share(key);
}

} // namespace

void PkeyFree::operator()(EVP_PKEY* key) const noexcept { EVP_PKEY_free(key); }

SharedPkey share(EVP_PKEY* key) {
  if (key == nullptr) return nullptr;
  return SharedPkey(key, PkeyFree{});
}

std::optional<std::string> hmac_sha256(std::string_view key, std::string_view data) {
  ErrorMark mark;
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  std::size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), bytes(data), data.size(),
                out.data(), out.size(), &len) == nullptr)
    return std::nullopt;
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

Check verify_hmac(std::string_view key, std::string_view data, std::string_view signature) {
  const auto expected = hmac_sha256(key, data);
  if (!expected) return Check::failure;
  // The length is public (always 32), so only the bytes need a constant-time compare.
  if (signature.size() != kSha256Bytes || expected->size() != kSha256Bytes) return Check::invalid;
  return CRYPTO_memcmp(expected->data(), signature.data(), kSha256Bytes) == 0 ? Check::valid : Check::invalid;
}

Check verify_pkey(Algorithm algorithm, EVP_PKEY* key, std::string_view data, std::string_view signature) {
  ErrorMark mark;
  std::string der;
  if (algorithm == Algorithm::ES256) {
    // JWS fixes the width; a DER or truncated signature here is a forgery attempt or a bug.
    if (signature.size() != 2 * kP256ScalarBytes) return Check::invalid;
    auto converted = ecdsa_raw_to_der(signature);
    if (!converted) return Check::invalid;
    der = std::move(*converted);
    signature = der;
  }
  MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestVerifyInit_ex(md.get(), &pctx, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
      !set_padding(algorithm, pctx))
    return Check::failure;
  const int rc = EVP_DigestVerify(md.get(), bytes(signature), signature.size(), bytes(data), data.size());
  return rc == 1 ? Check::valid : Check::invalid;
}

std::optional<std::string> sign_pkey(Algorithm algorithm, EVP_PKEY* key, std::string_view data) {
  ErrorMark mark;
  MdCtx md(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!md || EVP_DigestSignInit_ex(md.get(), &pctx, "SHA256", nullptr, nullptr, key, nullptr) != 1 ||
      !set_padding(algorithm, pctx))
    return std::nullopt;
  std::size_t len = 0;
  if (EVP_DigestSign(md.get(), nullptr, &len, bytes(data), data.size()) != 1) return std::nullopt;
  std::string out(len, '\0');
  if (EVP_DigestSign(md.get(), reinterpret_cast<unsigned char*>(out.data()), &len, bytes(data),
                     data.size()) != 1)
    return std::nullopt;
  out.resize(len);
  if (algorithm == Algorithm::ES256) return ecdsa_der_to_raw(out, kP256ScalarBytes);
  return out;
}

std::optional<std::string> unusable_reason(Algorithm algorithm, EVP_PKEY* key) {
  ErrorMark mark;
  switch (algorithm) {
  case Algorithm::HS256:
    return "HS256 takes a shared secret, not a key pair";
  case Algorithm::RS256:
    if (EVP_PKEY_is_a(key, "RSA") != 1) return "RS256 needs an RSA key";
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) return "RSA key shorter than 2048 bits";
    break;
  case Algorithm::ES256: {
    if (EVP_PKEY_is_a(key, "EC") != 1) return "ES256 needs an EC key";
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(key, group.data(), group.size(), &len) != 1) return "EC key without a curve";
    const std::string_view name(group.data(), len);
    if (name != "prime256v1" && name != "P-256") return "ES256 needs a P-256 key";
    break;
  }
  }
  PkeyCtx ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, key, nullptr));
  if (!ctx || EVP_PKEY_public_check(ctx.get()) != 1) return "key fails OpenSSL's public key check";
  return std::nullopt;
}

SharedPkey public_key_from_pem(std::string_view pem) {
  // Only public keys: a private key here means a secret was put into public configuration.
  if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string_view::npos &&
      pem.find("-----BEGIN RSA PUBLIC KEY-----") == std::string_view::npos)
    return nullptr;
  ErrorMark mark;
  EVP_PKEY* key = nullptr;
  DecoderCtx ctx(
      OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", nullptr, nullptr, EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!ctx) return nullptr;
  const unsigned char* data = bytes(pem);
  std::size_t len = pem.size();
  if (OSSL_DECODER_from_data(ctx.get(), &data, &len) != 1) {
    EVP_PKEY_free(key);
    return nullptr;
  }
  return share(key);
}

SharedPkey private_key_from_pem(std::string_view pem) {
  ErrorMark mark;
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  return share(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr));
}

SharedPkey rsa_public_key(std::string_view n, std::string_view e) {
  if (n.empty() || e.empty()) return nullptr;
  ErrorMark mark;
  Bignum bn_n(BN_bin2bn(bytes(n), static_cast<int>(n.size()), nullptr));
  Bignum bn_e(BN_bin2bn(bytes(e), static_cast<int>(e.size()), nullptr));
  ParamBuilder builder(OSSL_PARAM_BLD_new());
  if (!bn_n || !bn_e || !builder ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1)
    return nullptr;
  Params params(OSSL_PARAM_BLD_to_param(builder.get()));
  if (!params) return nullptr;
  return from_params("RSA", params.get());
}

SharedPkey p256_public_key(std::string_view x, std::string_view y) {
  if (x.size() != kP256ScalarBytes || y.size() != kP256ScalarBytes) return nullptr;
  ErrorMark mark;
  // SEC1 uncompressed point: 0x04 || x || y.
  std::string point = "\x04";
  point.append(x).append(y);
  char group[] = "prime256v1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end(),
  };
  return from_params("EC", params);
}

std::optional<std::string> ecdsa_raw_to_der(std::string_view raw) {
  if (raw.empty() || raw.size() % 2 != 0) return std::nullopt;
  const std::size_t half = raw.size() / 2;
  Bignum r(BN_bin2bn(bytes(raw), static_cast<int>(half), nullptr));
  Bignum s(BN_bin2bn(bytes(raw.substr(half)), static_cast<int>(half), nullptr));
  EcdsaSig sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  // ECDSA_SIG_set0 took ownership of both numbers.
  static_cast<void>(r.release());
  static_cast<void>(s.release());
  const int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<std::size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  if (i2d_ECDSA_SIG(sig.get(), &out) != len) return std::nullopt;
  return der;
}

std::optional<std::string> ecdsa_der_to_raw(std::string_view der, std::size_t scalar_bytes) {
  const unsigned char* in = bytes(der);
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig || in != bytes(der) + der.size()) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string raw(2 * scalar_bytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  const int width = static_cast<int>(scalar_bytes);
  if (BN_bn2binpad(r, out, width) != width || BN_bn2binpad(s, out + scalar_bytes, width) != width)
    return std::nullopt;
  return raw;
}

std::optional<std::string> decode_base64url(std::string_view text) {
  auto decoded = core::base64url_decode(text);
  // Re-encoding catches non-canonical input, so each signature has exactly one spelling.
  if (!decoded || core::base64url_encode(*decoded) != text) return std::nullopt;
  return decoded;
}

} // namespace herald::auth::detail

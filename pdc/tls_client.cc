#include "tls_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <cstdlib>
#include <cstring>

namespace pmu::pdc {
namespace {

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

bool IsIpLiteral(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

}  // namespace

void AddTlsOptions(CLI::App* sub, TlsClientOptions& o) {
  o.ca = Env("PMU_TLS_CA");
  o.cert = Env("PMU_TLS_CERT");
  o.key = Env("PMU_TLS_KEY");
  sub->add_option("--ca", o.ca, "CA certificate (PEM) that issued the device's certificate [$PMU_TLS_CA]");
  sub->add_option("--cert", o.cert, "client certificate (PEM), when the device asks for one [$PMU_TLS_CERT]");
  sub->add_option("--key", o.key, "private key of the client certificate (PEM) [$PMU_TLS_KEY]");
  sub->add_option("--servername", o.servername,
                  "name or address the device's certificate must carry (default: HOST)");
}

TlsStream::TlsStream(Socket socket, std::chrono::milliseconds timeout, const TlsClientOptions& o,
                     const std::string& host)
    : socket_(std::move(socket)) {
  if (o.ca.empty()) throw std::invalid_argument("--ca is required (or set PMU_TLS_CA)");
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
  setsockopt(socket_.fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(socket_.fd(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  if (ctx_ == nullptr) throw NetError("TLS: " + OpenSslErrors());
  SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
  if (SSL_CTX_load_verify_locations(ctx_.get(), o.ca.c_str(), nullptr) != 1) {
    throw std::invalid_argument("cannot load the CA certificate " + o.ca + ": " + OpenSslErrors());
  }
  if (!o.cert.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_.get(), o.cert.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_.get(), (o.key.empty() ? o.cert : o.key).c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx_.get()) != 1) {
      throw std::invalid_argument("cannot load the client certificate and key: " + OpenSslErrors());
    }
  }
  ssl_.reset(SSL_new(ctx_.get()));
  if (ssl_ == nullptr) throw NetError("TLS: " + OpenSslErrors());
  SSL_set_fd(ssl_.get(), socket_.fd());
  const std::string name = o.servername.empty() ? host : o.servername;
  if (IsIpLiteral(name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_.get(), name.c_str());
    SSL_set1_host(ssl_.get(), name.c_str());
  }
  if (SSL_connect(ssl_.get()) != 1) {
    const long verify = SSL_get_verify_result(ssl_.get());
    std::string why = verify != X509_V_OK ? std::string("certificate verify failed: ") +
                                                X509_verify_cert_error_string(verify)
                                          : OpenSslErrors();
    if (why.empty()) why = "the device closed the connection during the handshake";
    throw NetError("TLS handshake with " + name + " failed: " + why);
  }
}

TlsStream::~TlsStream() = default;

void TlsStream::Send(const void* data, std::size_t size) {
  std::size_t done = 0;
  while (done < size) {
    const int n = SSL_write(ssl_.get(), static_cast<const char*>(data) + done, static_cast<int>(size - done));
    if (n <= 0) throw NetError("TLS write failed: " + OpenSslErrors());
    done += static_cast<std::size_t>(n);
  }
}

std::size_t TlsStream::Receive(void* buffer, std::size_t size) {
  const int n = SSL_read(ssl_.get(), buffer, static_cast<int>(size));
  if (n > 0) return static_cast<std::size_t>(n);
  const int err = SSL_get_error(ssl_.get(), n);
  if (err == SSL_ERROR_ZERO_RETURN) {
    close_notify_ = true;
    return 0;
  }
  if (err == SSL_ERROR_SYSCALL && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    throw NetError("timed out waiting for the device");
  }
  const std::string why = OpenSslErrors();
  throw NetError("TLS stream ended without close_notify (data may be cut)" + (why.empty() ? "" : ": " + why));
}

void TlsStream::ShutdownWrite() { SSL_shutdown(ssl_.get()); }

std::string TlsStream::version() const { return SSL_get_version(ssl_.get()); }
std::string TlsStream::cipher() const { return SSL_get_cipher_name(ssl_.get()); }

std::string TlsStream::peer_subject() const {
  X509* cert = SSL_get1_peer_certificate(ssl_.get());
  if (cert == nullptr) return "";
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
  X509_free(cert);
  return buf;
}

std::string TlsStream::peer_not_after() const {
  X509* cert = SSL_get1_peer_certificate(ssl_.get());
  if (cert == nullptr) return "";
  tm t{};
  std::string out;
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &t) == 1) {
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &t);
    out = buf;
  }
  X509_free(cert);
  return out;
}

}  // namespace pmu::pdc

#include "identity/mailer.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "crypto/random.h"
#include "common/encoding.h"

namespace t3n::identity {

namespace {

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

struct Upload {
  const std::string& data;
  std::size_t pos = 0;
};

std::size_t read_cb(char* out, std::size_t size, std::size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t want = size * n;
  const std::size_t left = u->data.size() - u->pos;
  const std::size_t k = want < left ? want : left;
  std::memcpy(out, u->data.data() + u->pos, k);
  u->pos += k;
  return k;
}

bool header_safe(const std::string& s) { return s.find_first_of("\r\n") == std::string::npos; }

std::string rfc5322_date() {
  const time_t t = time(nullptr);
  tm g{};
  gmtime_r(&t, &g);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &g);
  return buf;
}

std::string message_of(const std::string& from, const std::string& to, const std::string& subject, const std::string& body) {
  std::string id = common::hex_encode(std::move(crypto::random_vector(12)).value());
  std::string m = "Date: " + rfc5322_date() + "\r\nFrom: " + from + "\r\nTo: " + to + "\r\nSubject: " + subject +
                  "\r\nMessage-ID: <" + id + "@t3n.local>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  // Dot-stuffing is libcurl's; line ends must be CRLF.
  for (char c : body) {
    if (c == '\n') m += "\r\n";
    else m += c;
  }
  m += "\r\n";
  return m;
}

class SmtpMailer final : public Mailer {
 public:
  explicit SmtpMailer(SmtpConfig c) : c_(std::move(c)) {}

  Status send(const std::string& to, const std::string& subject, const std::string& body) override {
    if (!header_safe(to) || !header_safe(subject)) return common::invalid_argument("mail headers may not contain line breaks");
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return common::internal_error("libcurl init failed");
    const std::string text = message_of(c_.from, to, subject, body);
    Upload up{text};
    std::unique_ptr<curl_slist, SlistDeleter> rcpt(curl_slist_append(nullptr, ("<" + to + ">").c_str()));
    CURL* h = curl.get();
    curl_easy_setopt(h, CURLOPT_URL, c_.url.c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, ("<" + c_.from + ">").c_str());
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &up);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c_.timeout_seconds);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (c_.starttls) curl_easy_setopt(h, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    if (!c_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, c_.ca_file.c_str());
    if (!c_.username.empty()) {
      curl_easy_setopt(h, CURLOPT_USERNAME, c_.username.c_str());
      curl_easy_setopt(h, CURLOPT_PASSWORD, c_.password.c_str());
    }
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK)
      return Status(ErrorCode::kUnavailable, std::string("sending the code failed (SMTP: ") + curl_easy_strerror(rc) + ")");
    return {};
  }

 private:
  SmtpConfig c_;
};

class DevMailbox final : public Mailer {
 public:
  explicit DevMailbox(std::filesystem::path p) : path_(std::move(p)) {}
  Status send(const std::string& to, const std::string& subject, const std::string& body) override {
    const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) return common::internal_error("cannot open the dev mailbox");
    const std::string text = "To: " + to + "\nSubject: " + subject + "\n\n" + body + "\n---\n";
    const ssize_t n = ::write(fd, text.data(), text.size());
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size())) return common::internal_error("cannot write the dev mailbox");
    return {};
  }

 private:
  std::filesystem::path path_;
};

}  // namespace

Result<std::unique_ptr<Mailer>> make_smtp_mailer(SmtpConfig config) {
  if (config.url.rfind("smtp://", 0) != 0 && config.url.rfind("smtps://", 0) != 0)
    return common::invalid_argument("smtp.url must be smtp://host:port or smtps://host:port");
  if (config.from.empty() || !header_safe(config.from) || config.from.find('@') == std::string::npos)
    return common::invalid_argument("smtp.from must be a sender address");
  return std::unique_ptr<Mailer>(std::make_unique<SmtpMailer>(std::move(config)));
}

std::unique_ptr<Mailer> make_dev_mailbox(std::filesystem::path path) { return std::make_unique<DevMailbox>(std::move(path)); }

}  // namespace t3n::identity

// Where one-time codes go: SMTP (libcurl: smtp:// with optional STARTTLS,
// or smtps://; credentials from the node's config) or a dev mailbox file.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"

namespace t3n::identity {

class Mailer {
 public:
  virtual ~Mailer() = default;
  // Sends a plain-text message. Errors never contain the message body.
  virtual Status send(const std::string& to, const std::string& subject, const std::string& body) = 0;
};

struct SmtpConfig {
  std::string url;   // smtp://host:port or smtps://host:port
  bool starttls = false;  // require STARTTLS on smtp://
  std::string username;
  std::string password;
  std::string from;  // the envelope and header sender
  std::string ca_file;  // trust this CA bundle instead of the system's
  long timeout_seconds = 20;
};

Result<std::unique_ptr<Mailer>> make_smtp_mailer(SmtpConfig config);
// Appends each message to `path` (created 0600): a dev node's mailbox.
std::unique_ptr<Mailer> make_dev_mailbox(std::filesystem::path path);

}  // namespace t3n::identity

// A real `t3nd dev` process on a free loopback port for end-to-end tests.
// The node reports its URL through --ready-fd (a pipe): the harness blocks
// on the pipe instead of polling the node's log.
#pragma once

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace t3n::testing {

// Runs a shell command; its stdout and stderr together.
inline std::string run_shell(const std::string& cmd) {
  std::string out;
  FILE* p = ::popen(("( " + cmd + " ) 2>&1").c_str(), "r");
  if (p == nullptr) return out;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ::pclose(p);
  return out;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class DevNode {
 public:
  explicit DevNode(const std::filesystem::path& dir, std::vector<std::string> extra = {}) : log_(dir / "node-output.log") {
    // A node refusing an oversized body closes while the client still
    // writes: the test process must see EPIPE, not die of SIGPIPE.
    ::signal(SIGPIPE, SIG_IGN);
    int ready[2];
    if (::pipe(ready) != 0) return;
    std::vector<std::string> args = {"t3nd", "--log-level", "info", "--ready-fd", std::to_string(ready[1]), "dev", "--port", "0",
                                     "--data", (dir / "data").string(), "--contracts", "/nonexistent"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      FILE* out = std::freopen(log_.c_str(), "a", stdout);
      if (out == nullptr || ::dup2(::fileno(stdout), 2) < 0) ::_exit(90);
      ::execv(T3N_BIN_DIR "/t3nd", argv.data());
      ::_exit(91);
    }
    ::close(ready[1]);
    // Blocks until the node is listening (or exits: EOF). The timeout only
    // bounds a broken build; it is not a wait for readiness.
    std::string line;
    pollfd p{ready[0], POLLIN, 0};
    char buf[256];
    while (line.find('\n') == std::string::npos && ::poll(&p, 1, 120'000) > 0) {
      const ssize_t n = ::read(ready[0], buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<std::size_t>(n));
    }
    ::close(ready[0]);
    if (auto nl = line.find('\n'); nl != std::string::npos) url_ = line.substr(0, nl);
  }
  DevNode(const DevNode&) = delete;
  DevNode& operator=(const DevNode&) = delete;
  ~DevNode() { stop(); }
  void stop() { end(SIGTERM); }
  // The node dies at once (no shutdown path): a crash.
  void kill_hard() { end(SIGKILL); }
  const std::string& url() const { return url_; }
  std::string output() const { return slurp(log_); }

 private:
  void end(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::filesystem::path log_;
  pid_t pid_ = -1;
  std::string url_;
};

}  // namespace t3n::testing

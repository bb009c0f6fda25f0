// An HTTPS upstream stand-in on 127.0.0.1 for egress and outbox tests:
// a certificate for allowed.test, other.test, api.allowed.test, upstream.test
// and 127.0.0.1 made with the openssl tool (its file is the CA to trust),
// canned routes, and every request it received.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace t3n::testing {

class Upstream {
 public:
  Upstream() {
    static std::atomic<int> instances{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("t3n-upstream-" + std::to_string(::getpid()) + "-" + std::to_string(instances++));
    std::filesystem::create_directories(dir_);
    const std::string cmd =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=allowed.test "
        "-addext subjectAltName=DNS:allowed.test,DNS:other.test,DNS:api.allowed.test,DNS:upstream.test,IP:127.0.0.1 -keyout " +
        (dir_ / "key.pem").string() + " -out " + ca() + " 2>/dev/null";
    EXPECT_EQ(std::system(cmd.c_str()), 0);
    server_ = std::make_unique<httplib::SSLServer>(ca().c_str(), (dir_ / "key.pem").c_str());
    server_->Get("/hello", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("hello from upstream", "text/plain");
    });
    server_->Post("/notify", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("received", "text/plain");  // never echoes what it got
    });
    server_->Get("/to-evil", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_redirect("https://evil.test:" + std::to_string(port_) + "/hello");
    });
    server_->Get("/to-other", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_redirect("https://other.test:" + std::to_string(port_) + "/hello");
    });
    server_->Get("/big", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content(std::string(64 * 1024, 'x'), "text/plain");
    });
    server_->Post("/hold", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::unique_lock lock(mu_);
      released_cv_.wait(lock, [this] { return released_; });
      res.set_content("held", "text/plain");
    });
    server_->Get("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::unique_lock lock(mu_);
      released_cv_.wait(lock, [this] { return released_; });
      res.set_content("late", "text/plain");
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // Ready signal: stop() before the accept loop runs would be lost (httplib 0.11).
    while (!server_->is_running()) std::this_thread::yield();
  }
  ~Upstream() {
    release();
    server_->stop();
    thread_.join();
    std::filesystem::remove_all(dir_);
  }
  std::string ca() const { return (dir_ / "cert.pem").string(); }
  int port() const { return port_; }
  std::string url(const std::string& host, const std::string& path) const {
    return "https://" + host + ":" + std::to_string(port_) + path;
  }
  int hits() const { return hits_; }
  httplib::Request last() {
    std::lock_guard lock(mu_);
    return last_;
  }
  std::vector<httplib::Request> all() {
    std::lock_guard lock(mu_);
    return all_;
  }
  // Ready signal: blocks until `n` requests arrived (bounded only to keep a
  // broken build from hanging the suite).
  bool wait_for_hits(int n) {
    std::unique_lock lock(mu_);
    return arrived_cv_.wait_for(lock, std::chrono::seconds(60), [&] { return hits_ >= n; });
  }
  // Lets held requests (/hold, /slow) answer.
  void release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    released_cv_.notify_all();
  }

 private:
  void record(const httplib::Request& req) {
    {
      std::lock_guard lock(mu_);
      last_ = req;
      all_.push_back(req);
      ++hits_;
    }
    arrived_cv_.notify_all();
  }
  std::filesystem::path dir_;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> hits_{0};
  std::mutex mu_;
  std::condition_variable released_cv_, arrived_cv_;
  std::vector<httplib::Request> all_;
  bool released_ = false;
  httplib::Request last_;
};

}  // namespace t3n::testing

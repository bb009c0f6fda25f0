// Status and Result<T>: how errors cross module boundaries.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace t3n::common {

// Codes are stable: the API layer maps them to JSON-RPC `data.code` strings.
enum class ErrorCode : std::uint8_t {
  kOk = 0,
  kInvalidArgument,     // malformed or out-of-range input
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,    // authenticated but not allowed
  kUnauthenticated,     // identity could not be established
  kFailedPrecondition,  // the system is not in a state to do this
  kConflict,            // optimistic-concurrency conflict
  kResourceExhausted,   // a limit was reached (fuel, memory, size)
  kDeadlineExceeded,
  kUnavailable,         // try again later
  kDataLoss,            // stored data failed authentication or is corrupt
  kVerificationFailed,  // a signature, tag, proof or attestation did not verify
  kUnimplemented,
  kInternal,
};

std::string_view error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return {}; }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>"
  std::string to_string() const;

  // Prefixes context ("while X: ") to the message, keeping the code.
  Status with_context(std::string_view context) const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status verification_failed(std::string m) { return {ErrorCode::kVerificationFailed, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
inline Status data_loss(std::string m) { return {ErrorCode::kDataLoss, std::move(m)}; }
inline Status permission_denied(std::string m) { return {ErrorCode::kPermissionDenied, std::move(m)}; }
inline Status failed_precondition(std::string m) { return {ErrorCode::kFailedPrecondition, std::move(m)}; }

// Either a value or a non-ok Status. Never holds an ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) v_ = Status(ErrorCode::kInternal, "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  // Precondition: ok(). Checked: calling on an error is a programming bug.
  T& value() & { return checked(); }
  const T& value() const& { return const_cast<Result*>(this)->checked(); }
  T&& value() && { return std::move(checked()); }
  T* operator->() { return &checked(); }
  const T* operator->() const { return &const_cast<Result*>(this)->checked(); }
  T& operator*() & { return checked(); }
  const T& operator*() const& { return const_cast<Result*>(this)->checked(); }

  const Status& status() const& {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  Status status() && { return ok() ? Status() : std::move(std::get<Status>(v_)); }

  T value_or(T fallback) const& { return ok() ? std::get<T>(v_) : std::move(fallback); }

 private:
  T& checked();
  std::variant<T, Status> v_;
};

[[noreturn]] void die_on_bad_result_access(const Status& status);

template <typename T>
T& Result<T>::checked() {
  if (!ok()) die_on_bad_result_access(std::get<Status>(v_));
  return std::get<T>(v_);
}

}  // namespace t3n::common

namespace t3n {
using common::ErrorCode;
using common::Result;
using common::Status;
}  // namespace t3n

#define T3N_CONCAT_INNER_(a, b) a##b
#define T3N_CONCAT_(a, b) T3N_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` (a Status) is not ok.
#define T3N_RETURN_IF_ERROR(expr)                  \
  do {                                             \
    ::t3n::common::Status t3n_status_ = (expr);    \
    if (!t3n_status_.ok()) return t3n_status_;     \
  } while (false)

// `T3N_ASSIGN_OR_RETURN(auto x, f());` — unwraps a Result or returns its Status.
#define T3N_ASSIGN_OR_RETURN(lhs, expr) T3N_ASSIGN_OR_RETURN_IMPL_(T3N_CONCAT_(t3n_result_, __LINE__), lhs, expr)
#define T3N_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()

// Wire form of libraft's messages for our peer transport (libraft leaves
// encoding to the raft_io). Big-endian, length-prefixed, versioned; decoding
// allocates with raft_malloc exactly as libraft expects to free it (an
// AppendEntries' entries share one batch). Malformed input is refused,
// never trusted.
#pragma once

#include <string>

#include <memory>

#include "common/binary.h"
#include "common/bytes.h"
#include "common/status.h"
#include "consensus/libraft.h"

namespace t3n::consensus {

Bytes encode_raft_message(const raft_message& m);

// A decoded message. Owns what it allocated until release() hands it to
// libraft (recv takes the entries and the snapshot data).
class DecodedMessage {
 public:
  DecodedMessage() = default;
  ~DecodedMessage();
  DecodedMessage(const DecodedMessage&) = delete;
  DecodedMessage& operator=(const DecodedMessage&) = delete;

  raft_message& message() { return m_; }
  // The message for libraft's recv callback; this object keeps only the
  // sender's address string, which must outlive the call.
  raft_message* release();

 private:
  friend Result<std::unique_ptr<DecodedMessage>> decode_raft_message(ByteView data);

// The sender a frame names (0 if too short to name one), without decoding
// the rest: what a transport compares with the peer it authenticated.
raft_id raft_frame_sender(ByteView frame);
  raft_message m_{};
  std::string address_;
  bool owned_ = true;
};

Result<std::unique_ptr<DecodedMessage>> decode_raft_message(ByteView data);

// The sender a frame names (0 if too short to name one), without decoding
// the rest: what a transport compares with the peer it authenticated.
raft_id raft_frame_sender(ByteView frame);

// Configurations (bootstrap, install snapshot) in the same wire form.
void encode_configuration(common::BinaryWriter& w, const raft_configuration& c);
// Fills `c` (initialised here; closed again on error).
Status decode_configuration(common::BinaryReader& r, raft_configuration& c);

}  // namespace t3n::consensus

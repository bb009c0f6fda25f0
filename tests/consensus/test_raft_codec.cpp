// The peer wire form of libraft's messages: every type round-trips, and no
// malformed input is trusted (every truncation and flipped byte is refused
// or decodes to a well-formed message; none crashes).
#include <gtest/gtest.h>

#include <cstring>

#include "consensus/raft_codec.h"

namespace t3n::consensus {
namespace {

std::vector<raft_message> samples(raft_entry* entries, raft_configuration* conf, std::uint8_t* snapshot) {
  std::vector<raft_message> out;
  raft_message m{};
  m.server_id = 3;
  m.server_address = "127.0.0.1:7003";

  m.type = RAFT_IO_REQUEST_VOTE;
  m.request_vote = {7, 3, 40, 6, true, false};
  out.push_back(m);
  m.type = RAFT_IO_REQUEST_VOTE_RESULT;
  m.request_vote_result = {7, true, raft_tribool_false};
  out.push_back(m);
  m.type = RAFT_IO_APPEND_ENTRIES;
  m.append_entries = {7, 39, 6, 38, entries, 3};
  out.push_back(m);
  m.type = RAFT_IO_APPEND_ENTRIES;  // a heartbeat
  m.append_entries = {7, 39, 6, 38, nullptr, 0};
  out.push_back(m);
  m.type = RAFT_IO_APPEND_ENTRIES_RESULT;
  m.append_entries_result = {7, 0, 42};
  out.push_back(m);
  m.type = RAFT_IO_INSTALL_SNAPSHOT;
  m.install_snapshot = {};
  m.install_snapshot.term = 7;
  m.install_snapshot.last_index = 100;
  m.install_snapshot.last_term = 6;
  m.install_snapshot.conf = *conf;
  m.install_snapshot.conf_index = 90;
  m.install_snapshot.data = {snapshot, 5};
  out.push_back(m);
  m.type = RAFT_IO_TIMEOUT_NOW;
  m.timeout_now = {7, 44, 7};
  out.push_back(m);
  return out;
}

class RaftCodec : public ::testing::Test {
 protected:
  void SetUp() override {
    static const char* payloads[] = {"sealed batch", "", "x"};
    const unsigned short types[] = {RAFT_COMMAND, RAFT_BARRIER, RAFT_CHANGE};
    for (int i = 0; i < 3; ++i) {
      entries_[i].term = 5 + static_cast<unsigned>(i);
      entries_[i].type = types[i];
      entries_[i].buf.base = const_cast<char*>(payloads[i]);
      entries_[i].buf.len = std::strlen(payloads[i]);
    }
    raft_configuration_init(&conf_);
    ASSERT_EQ(raft_configuration_add(&conf_, 1, "127.0.0.1:7001", RAFT_VOTER), 0);
    ASSERT_EQ(raft_configuration_add(&conf_, 4, "127.0.0.1:7004", RAFT_SPARE), 0);
  }
  void TearDown() override { raft_configuration_close(&conf_); }

  raft_entry entries_[3]{};
  raft_configuration conf_{};
  std::uint8_t snapshot_[5] = {1, 2, 3, 4, 5};
};

TEST_F(RaftCodec, EveryMessageTypeRoundTrips) {
  for (const raft_message& m : samples(entries_, &conf_, snapshot_)) {
    const Bytes wire = encode_raft_message(m);
    auto d = decode_raft_message(wire);
    ASSERT_TRUE(d.ok()) << m.type << ": " << d.status().message();
    // Re-encoding what was decoded gives the same bytes: every field made it.
    EXPECT_EQ(encode_raft_message((*d)->message()), wire) << m.type;
    EXPECT_STREQ((*d)->message().server_address, "127.0.0.1:7003");
    EXPECT_EQ(raft_frame_sender(wire), 3u);  // what a transport checks without decoding
    if (m.type == RAFT_IO_APPEND_ENTRIES && m.append_entries.n_entries == 3) {
      const raft_entry& e = (*d)->message().append_entries.entries[0];
      EXPECT_EQ(std::string(static_cast<const char*>(e.buf.base), e.buf.len), "sealed batch");
      EXPECT_EQ(e.batch, (*d)->message().append_entries.entries[2].batch);  // one batch, as libraft frees it
    }
  }
}

TEST_F(RaftCodec, TruncatedOrAlteredInputIsRefusedNeverTrusted) {
  std::size_t refused = 0, total = 0;
  for (const raft_message& m : samples(entries_, &conf_, snapshot_)) {
    const Bytes wire = encode_raft_message(m);
    for (std::size_t cut = 0; cut < wire.size(); ++cut) {
      ++total;
      refused += decode_raft_message(ByteView(wire.data(), cut)).ok() ? 0 : 1;
    }
    Bytes longer = wire;
    longer.push_back(0);
    EXPECT_FALSE(decode_raft_message(longer).ok()) << "trailing bytes, type " << m.type;
    for (std::size_t i = 0; i < wire.size(); ++i) {
      Bytes flipped = wire;
      flipped[i] ^= 0xff;
      auto d = decode_raft_message(flipped);  // refused, or another well-formed message
      if (d.ok()) (void)encode_raft_message((*d)->message());
    }
  }
  EXPECT_EQ(refused, total);  // every strict prefix is short of something
  EXPECT_EQ(raft_frame_sender(Bytes{1, 0, 1, 0, 0}), 0u);  // too short to name a sender
  EXPECT_FALSE(decode_raft_message(Bytes{2, 0, 1}).ok());                           // unknown wire version
  EXPECT_FALSE(decode_raft_message(Bytes{1, 0, 99, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0}).ok());  // unknown type
}

}  // namespace
}  // namespace t3n::consensus

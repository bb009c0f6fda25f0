#include "consensus/raft_codec.h"

#include <cstring>

namespace t3n::consensus {
namespace {

constexpr std::uint8_t kWireVersion = 1;
constexpr std::size_t kMaxEntries = 1u << 20;
constexpr std::size_t kMaxAddress = 255;
constexpr std::size_t kMaxServers = 1024;

void put_bool(common::BinaryWriter& w, bool b) { w.u8(b ? 1 : 0); }

Result<bool> get_bool(common::BinaryReader& r) {
  T3N_ASSIGN_OR_RETURN(std::uint8_t v, r.u8());
  if (v > 1) return common::invalid_argument("raft message: a flag is 0 or 1");
  return v == 1;
}

}  // namespace

Status decode_configuration(common::BinaryReader& r, raft_configuration& c) {
  raft_configuration_init(&c);
  T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
  if (n > kMaxServers) return common::invalid_argument("raft message: too many servers");
  for (std::uint32_t i = 0; i < n; ++i) {
    T3N_ASSIGN_OR_RETURN(std::uint64_t id, r.u64());
    T3N_ASSIGN_OR_RETURN(std::uint8_t role, r.u8());
    T3N_ASSIGN_OR_RETURN(std::string address, r.string(kMaxAddress));
    if (raft_configuration_add(&c, id, address.c_str(), role) != 0) {
      raft_configuration_close(&c);
      return common::invalid_argument("raft message: a bad server in the configuration");
    }
  }
  return {};
}

void encode_configuration(common::BinaryWriter& w, const raft_configuration& c) {
  w.u32(c.n);
  for (unsigned i = 0; i < c.n; ++i) {
    w.u64(c.servers[i].id);
    w.u8(static_cast<std::uint8_t>(c.servers[i].role));
    w.string(c.servers[i].address != nullptr ? c.servers[i].address : "");
  }
}

Bytes encode_raft_message(const raft_message& m) {
  common::BinaryWriter w;
  w.u8(kWireVersion);
  w.u16(m.type);
  w.u64(m.server_id);
  w.string(m.server_address != nullptr ? m.server_address : "");
  switch (m.type) {
    case RAFT_IO_REQUEST_VOTE: {
      const auto& v = m.request_vote;
      w.u64(v.term);
      w.u64(v.candidate_id);
      w.u64(v.last_log_index);
      w.u64(v.last_log_term);
      put_bool(w, v.disrupt_leader);
      put_bool(w, v.pre_vote);
      break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      const auto& v = m.request_vote_result;
      w.u64(v.term);
      put_bool(w, v.vote_granted);
      w.u8(static_cast<std::uint8_t>(v.pre_vote));
      break;
    }
    case RAFT_IO_APPEND_ENTRIES: {
      const auto& a = m.append_entries;
      w.u64(a.term);
      w.u64(a.prev_log_index);
      w.u64(a.prev_log_term);
      w.u64(a.leader_commit);
      w.u32(a.n_entries);
      for (unsigned i = 0; i < a.n_entries; ++i) {
        w.u64(a.entries[i].term);
        w.u16(a.entries[i].type);
        w.bytes(ByteView(static_cast<const std::uint8_t*>(a.entries[i].buf.base), a.entries[i].buf.len));
      }
      break;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      const auto& a = m.append_entries_result;
      w.u64(a.term);
      w.u64(a.rejected);
      w.u64(a.last_log_index);
      break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
      const auto& s = m.install_snapshot;
      w.u64(s.term);
      w.u64(s.last_index);
      w.u64(s.last_term);
      encode_configuration(w, s.conf);
      w.u64(s.conf_index);
      w.bytes(ByteView(static_cast<const std::uint8_t*>(s.data.base), s.data.len));
      break;
    }
    case RAFT_IO_TIMEOUT_NOW: {
      const auto& t = m.timeout_now;
      w.u64(t.term);
      w.u64(t.last_log_index);
      w.u64(t.last_log_term);
      break;
    }
    default: break;  // encode_raft_message is only given libraft's own messages
  }
  return w.take();
}

raft_id raft_frame_sender(ByteView frame) {
  // version (1), type (2), then the sender's id (8)
  if (frame.size() < 11) return 0;
  raft_id id = 0;
  for (std::size_t i = 3; i < 11; ++i) id = (id << 8) | frame[i];
  return id;
}

DecodedMessage::~DecodedMessage() {
  if (!owned_) return;
  if (m_.type == RAFT_IO_APPEND_ENTRIES && m_.append_entries.entries != nullptr) {
    if (m_.append_entries.n_entries > 0) raft_free(m_.append_entries.entries[0].batch);
    raft_free(m_.append_entries.entries);
  }
  if (m_.type == RAFT_IO_INSTALL_SNAPSHOT) {
    raft_configuration_close(&m_.install_snapshot.conf);
    raft_free(m_.install_snapshot.data.base);
  }
}

raft_message* DecodedMessage::release() {
  owned_ = false;
  return &m_;
}

Result<std::unique_ptr<DecodedMessage>> decode_raft_message(ByteView data) {
  common::BinaryReader r(data, "raft message");
  auto out = std::make_unique<DecodedMessage>();
  raft_message& m = out->m_;
  T3N_ASSIGN_OR_RETURN(std::uint8_t version, r.u8());
  if (version != kWireVersion) return common::invalid_argument("raft message: unknown wire version");
  T3N_ASSIGN_OR_RETURN(std::uint16_t type, r.u16());
  T3N_ASSIGN_OR_RETURN(m.server_id, r.u64());
  T3N_ASSIGN_OR_RETURN(out->address_, r.string(kMaxAddress));
  m.server_address = out->address_.c_str();
  m.type = 0;  // set once the body is whole, so the destructor frees only what exists
  switch (type) {
    case RAFT_IO_REQUEST_VOTE: {
      auto& v = m.request_vote;
      T3N_ASSIGN_OR_RETURN(v.term, r.u64());
      T3N_ASSIGN_OR_RETURN(v.candidate_id, r.u64());
      T3N_ASSIGN_OR_RETURN(v.last_log_index, r.u64());
      T3N_ASSIGN_OR_RETURN(v.last_log_term, r.u64());
      T3N_ASSIGN_OR_RETURN(v.disrupt_leader, get_bool(r));
      T3N_ASSIGN_OR_RETURN(v.pre_vote, get_bool(r));
      break;
    }
    case RAFT_IO_REQUEST_VOTE_RESULT: {
      auto& v = m.request_vote_result;
      T3N_ASSIGN_OR_RETURN(v.term, r.u64());
      T3N_ASSIGN_OR_RETURN(v.vote_granted, get_bool(r));
      T3N_ASSIGN_OR_RETURN(std::uint8_t pre, r.u8());
      if (pre > raft_tribool_false) return common::invalid_argument("raft message: bad pre-vote value");
      v.pre_vote = static_cast<raft_tribool>(pre);
      break;
    }
    case RAFT_IO_APPEND_ENTRIES: {
      auto& a = m.append_entries;
      T3N_ASSIGN_OR_RETURN(a.term, r.u64());
      T3N_ASSIGN_OR_RETURN(a.prev_log_index, r.u64());
      T3N_ASSIGN_OR_RETURN(a.prev_log_term, r.u64());
      T3N_ASSIGN_OR_RETURN(a.leader_commit, r.u64());
      T3N_ASSIGN_OR_RETURN(std::uint32_t n, r.u32());
      if (n > kMaxEntries) return common::invalid_argument("raft message: too many entries");
      // Two passes: sizes first, then one batch holding every payload.
      struct Span {
        std::uint64_t term;
        std::uint16_t type;
        ByteView buf;
      };
      std::vector<Span> spans;
      spans.reserve(n);
      std::size_t total = 0;
      for (std::uint32_t i = 0; i < n; ++i) {
        Span s{};
        T3N_ASSIGN_OR_RETURN(s.term, r.u64());
        T3N_ASSIGN_OR_RETURN(s.type, r.u16());
        if (s.type != RAFT_COMMAND && s.type != RAFT_BARRIER && s.type != RAFT_CHANGE)
          return common::invalid_argument("raft message: unknown entry type");
        T3N_ASSIGN_OR_RETURN(s.buf, r.bytes());
        total += s.buf.size();
        spans.push_back(s);
      }
      T3N_RETURN_IF_ERROR(r.finish());
      if (n > 0) {
        a.entries = static_cast<raft_entry*>(raft_calloc(n, sizeof(raft_entry)));
        void* batch = raft_malloc(total > 0 ? total : 1);
        if (a.entries == nullptr || batch == nullptr) {
          raft_free(a.entries);
          raft_free(batch);
          a.entries = nullptr;
          return Status(ErrorCode::kResourceExhausted, "raft message: out of memory");
        }
        auto* at = static_cast<std::uint8_t*>(batch);
        for (std::uint32_t i = 0; i < n; ++i) {
          a.entries[i].term = spans[i].term;
          a.entries[i].type = spans[i].type;
          a.entries[i].batch = batch;
          a.entries[i].buf.base = at;
          a.entries[i].buf.len = spans[i].buf.size();
          if (!spans[i].buf.empty()) std::memcpy(at, spans[i].buf.data(), spans[i].buf.size());
          at += spans[i].buf.size();
        }
      }
      a.n_entries = n;
      m.type = type;
      return out;
    }
    case RAFT_IO_APPEND_ENTRIES_RESULT: {
      auto& a = m.append_entries_result;
      T3N_ASSIGN_OR_RETURN(a.term, r.u64());
      T3N_ASSIGN_OR_RETURN(a.rejected, r.u64());
      T3N_ASSIGN_OR_RETURN(a.last_log_index, r.u64());
      break;
    }
    case RAFT_IO_INSTALL_SNAPSHOT: {
      auto& s = m.install_snapshot;
      T3N_ASSIGN_OR_RETURN(s.term, r.u64());
      T3N_ASSIGN_OR_RETURN(s.last_index, r.u64());
      T3N_ASSIGN_OR_RETURN(s.last_term, r.u64());
      T3N_RETURN_IF_ERROR(decode_configuration(r, s.conf));
      auto rest = [&]() -> Status {
        T3N_ASSIGN_OR_RETURN(s.conf_index, r.u64());
        T3N_ASSIGN_OR_RETURN(ByteView body, r.bytes());
        T3N_RETURN_IF_ERROR(r.finish());
        s.data.len = body.size();
        s.data.base = raft_malloc(body.size() > 0 ? body.size() : 1);
        if (s.data.base == nullptr) return Status(ErrorCode::kResourceExhausted, "raft message: out of memory");
        if (!body.empty()) std::memcpy(s.data.base, body.data(), body.size());
        return {};
      }();
      if (!rest.ok()) {
        raft_configuration_close(&s.conf);
        return rest;
      }
      m.type = type;
      return out;
    }
    case RAFT_IO_TIMEOUT_NOW: {
      auto& t = m.timeout_now;
      T3N_ASSIGN_OR_RETURN(t.term, r.u64());
      T3N_ASSIGN_OR_RETURN(t.last_log_index, r.u64());
      T3N_ASSIGN_OR_RETURN(t.last_log_term, r.u64());
      break;
    }
    default: return common::invalid_argument("raft message: unknown type " + std::to_string(type));
  }
  T3N_RETURN_IF_ERROR(r.finish());
  m.type = type;
  return out;
}

}  // namespace t3n::consensus

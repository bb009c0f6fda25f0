// A RocksDB file system for tests that fails writes on demand and models a
// power cut: it remembers how much of each file was synced, and after
// crash() + drop_unsynced_data() every file is cut back to that length.
// (What it does not model: lost directory entries of files whose directory
// was never synced, and reordering of unsynced writes.)
#pragma once

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace t3n::store::testing {

class FaultFs : public rocksdb::FileSystemWrapper {
 public:
  FaultFs() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "t3n-test-FaultFs"; }

  // Write-ahead-log writes fail with an I/O error while set (data does not
  // reach the file when appends fail; it does when only syncs fail).
  std::atomic<bool> fail_wal_appends{false};
  std::atomic<bool> fail_wal_syncs{false};

  // From now on nothing reaches the disk (the machine is off).
  void crash() { crashed_ = true; }

  // After the database is closed: cut every file written through this file
  // system back to what was synced, as a power cut would.
  void drop_unsynced_data() {
    std::lock_guard lock(mu_);
    for (const auto& [name, state] : files_) {
      std::error_code ec;
      if (!std::filesystem::exists(name, ec)) continue;
      if (std::filesystem::file_size(name, ec) > state.synced) std::filesystem::resize_file(name, state.synced, ec);
    }
  }

  // An Env over this file system, for StoreOptions::env.
  static std::pair<std::shared_ptr<FaultFs>, std::shared_ptr<rocksdb::Env>> make() {
    auto fs = std::make_shared<FaultFs>();
    std::shared_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
    return {fs, env};
  }

  rocksdb::IOStatus NewWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* r, rocksdb::IODebugContext* d) override {
    if (crashed_) return off();
    auto s = target()->NewWritableFile(f, o, r, d);
    if (s.ok()) wrap(f, r, /*reset=*/true);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& f, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* r,
                                       rocksdb::IODebugContext* d) override {
    if (crashed_) return off();
    auto s = target()->ReopenWritableFile(f, o, r, d);
    if (s.ok()) wrap(f, r, /*reset=*/false);
    return s;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string&, const std::string&, const rocksdb::FileOptions&,
                                      std::unique_ptr<rocksdb::FSWritableFile>*, rocksdb::IODebugContext*) override {
    return rocksdb::IOStatus::NotSupported("log recycling is not modelled");
  }
  rocksdb::IOStatus DeleteFile(const std::string& f, const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (crashed_) return off();
    {
      std::lock_guard lock(mu_);
      files_.erase(f);
    }
    return target()->DeleteFile(f, o, d);
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to, const rocksdb::IOOptions& o,
                               rocksdb::IODebugContext* d) override {
    if (crashed_) return off();
    auto s = target()->RenameFile(from, to, o, d);
    if (s.ok()) {
      std::lock_guard lock(mu_);
      if (auto it = files_.find(from); it != files_.end()) {
        files_[to] = it->second;
        files_.erase(it);
      }
    }
    return s;
  }
  rocksdb::IOStatus Truncate(const std::string& f, size_t size, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
    if (crashed_) return off();
    return target()->Truncate(f, size, o, d);
  }

 private:
  struct FileState {
    std::uint64_t written = 0;
    std::uint64_t synced = 0;
  };

  static rocksdb::IOStatus off() { return rocksdb::IOStatus::IOError("test file system: crashed"); }

  class File : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    File(FaultFs* fs, std::string name, std::unique_ptr<rocksdb::FSWritableFile> f)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(f)), fs_(fs), name_(std::move(name)),
          wal_(name_.size() > 4 && name_.substr(name_.size() - 4) == ".log") {}

    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             rocksdb::IODebugContext* d) override {
      if (auto s = before_append(); !s.ok()) return s;
      auto s = target()->Append(data, o, d);
      if (s.ok()) fs_->appended(name_, data.size());
      return s;
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                             const rocksdb::DataVerificationInfo& v, rocksdb::IODebugContext* d) override {
      if (auto s = before_append(); !s.ok()) return s;
      auto s = target()->Append(data, o, v, d);
      if (s.ok()) fs_->appended(name_, data.size());
      return s;
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice&, std::uint64_t, const rocksdb::IOOptions&,
                                       rocksdb::IODebugContext*) override {
      return rocksdb::IOStatus::NotSupported("direct I/O is not modelled");
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice&, std::uint64_t, const rocksdb::IOOptions&,
                                       const rocksdb::DataVerificationInfo&, rocksdb::IODebugContext*) override {
      return rocksdb::IOStatus::NotSupported("direct I/O is not modelled");
    }
    rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (auto s = before_sync(); !s.ok()) return s;
      auto s = target()->Sync(o, d);
      if (s.ok()) fs_->synced(name_);
      return s;
    }
    rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (auto s = before_sync(); !s.ok()) return s;
      auto s = target()->Fsync(o, d);
      if (s.ok()) fs_->synced(name_);
      return s;
    }
    // A range sync is not a durability point: ignored for the model.
    rocksdb::IOStatus RangeSync(std::uint64_t offset, std::uint64_t n, const rocksdb::IOOptions& o,
                                rocksdb::IODebugContext* d) override {
      if (fs_->crashed_) return off();
      return target()->RangeSync(offset, n, o, d);
    }
    rocksdb::IOStatus Flush(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->crashed_) return off();
      return target()->Flush(o, d);
    }
    rocksdb::IOStatus Truncate(std::uint64_t size, const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->crashed_) return off();
      auto s = target()->Truncate(size, o, d);
      if (s.ok()) fs_->truncated(name_, size);
      return s;
    }
    rocksdb::IOStatus Close(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
      if (fs_->crashed_) return off();
      return target()->Close(o, d);
    }

   private:
    rocksdb::IOStatus before_append() const {
      if (fs_->crashed_) return off();
      if (wal_ && fs_->fail_wal_appends) return rocksdb::IOStatus::IOError("test file system: injected append failure");
      return rocksdb::IOStatus::OK();
    }
    rocksdb::IOStatus before_sync() const {
      if (fs_->crashed_) return off();
      if (wal_ && fs_->fail_wal_syncs) return rocksdb::IOStatus::IOError("test file system: injected sync failure");
      return rocksdb::IOStatus::OK();
    }
    FaultFs* fs_;
    std::string name_;
    bool wal_;
  };

  void wrap(const std::string& name, std::unique_ptr<rocksdb::FSWritableFile>* r, bool reset) {
    {
      std::lock_guard lock(mu_);
      auto& st = files_[name];
      if (reset) st = FileState{};
      else st.written = st.synced = std::max(st.written, target_size(name));
    }
    *r = std::make_unique<File>(this, name, std::move(*r));
  }
  static std::uint64_t target_size(const std::string& name) {
    std::error_code ec;
    auto n = std::filesystem::file_size(name, ec);
    return ec ? 0 : n;
  }
  void appended(const std::string& name, std::size_t n) {
    std::lock_guard lock(mu_);
    files_[name].written += n;
  }
  void synced(const std::string& name) {
    std::lock_guard lock(mu_);
    auto& st = files_[name];
    st.synced = st.written;
  }
  void truncated(const std::string& name, std::uint64_t size) {
    std::lock_guard lock(mu_);
    auto& st = files_[name];
    st.written = size;
    st.synced = std::min(st.synced, size);
  }

  std::atomic<bool> crashed_{false};
  std::mutex mu_;
  std::map<std::string, FileState> files_;
};

}  // namespace t3n::store::testing

#include "snapshot/hash_patcher.h"

#include <hiredis/hiredis.h>

#include "redisx/reply.h"
#include "redisx/resp.h"

namespace ez::snapshot {

using redisx::append_bulk;
using redisx::expect_not_error;
using redisx::reply_text;

int64_t HashPatcher::live_fields(redisx::Redis& redis, const std::string& key) {
  redisx::Reply r = redis.command({"HLEN", key});
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  return -1;  // WRONGTYPE: not a hash
}

HashPatcher::HashPatcher(redisx::Redis& redis, std::string key, size_t max_changes,
                         size_t max_bytes, size_t chunk_fields, size_t max_in_flight)
    : redis_(redis),
      key_(std::move(key)),
      max_changes_(max_changes),
      max_bytes_(max_bytes),
      chunk_fields_(chunk_fields),
      max_in_flight_(max_in_flight) {
  // Before the first read: a write to the hash after it (nobody else should
  // write it while the sync lock is held) makes the resync's EXEC do nothing
  // instead of applying a patch computed from what Redis held before.
  redisx::Reply w = redis_.command({"WATCH", key_});
  expect_not_error(w, "WATCH");
  // Counted after the WATCH, so it describes the state the patch applies to.
  live_fields_ = live_fields(redis_, key_);
  if (live_fields_ <= 0) usable_ = false;
}

void HashPatcher::add(std::string_view field, std::string_view value) {
  ++count_;
  if (!usable_) return;  // the caller rebuilds this hash: no need to read it further
  const size_t off = filling_.data.size();
  filling_.data.append(field);
  filling_.data.append(value);
  filling_.at.push_back({off, field.size(), value.size()});
  if (filling_.at.size() >= chunk_fields_) send();
}

void HashPatcher::send() {
  if (filling_.at.empty()) return;
  std::string command = "*" + std::to_string(2 + filling_.at.size()) + "\r\n";
  append_bulk(command, "HMGET");
  append_bulk(command, key_);
  for (const auto& [off, flen, vlen] : filling_.at)
    append_bulk(command, std::string_view(filling_.data).substr(off, flen));
  redis_.append_formatted(command);
  in_flight_.push_back(std::move(filling_));
  filling_ = Chunk{};
  while (in_flight_.size() > max_in_flight_) read_one();
}

void HashPatcher::read_one() {
  redisx::Reply r = redis_.read_reply();
  Chunk chunk = std::move(in_flight_.front());
  in_flight_.pop_front();
  if (r->type != REDIS_REPLY_ARRAY || r->elements != chunk.at.size()) {
    // WRONGTYPE (the key became something else): rebuild instead.
    usable_ = false;
    return;
  }
  const std::string_view data(chunk.data);
  for (size_t i = 0; i < chunk.at.size(); ++i) {
    const auto& [off, flen, vlen] = chunk.at[i];
    const std::string_view value = data.substr(off + flen, vlen);
    const redisReply* e = r->element[i];
    if (e->type == REDIS_REPLY_STRING) {
      ++present_;
      if (std::string_view(e->str, e->len) == value) continue;
    } else if (e->type != REDIS_REPLY_NIL) {
      usable_ = false;
      return;
    }
    keep(data.substr(off, flen), value);
  }
}

void HashPatcher::keep(std::string_view field, std::string_view value) {
  ++changed_;
  if (!usable_) return;
  changed_bytes_ += field.size() + value.size();
  if (changed_ > max_changes_ || changed_bytes_ > max_bytes_) {
    usable_ = false;  // too different: a rebuild is cheaper, and memory stays bounded
    body_.clear();
    body_.shrink_to_fit();
    commands_.clear();
    commands_.shrink_to_fit();
    return;
  }
  append_bulk(body_, field);
  append_bulk(body_, value);
  if (++body_fields_ >= chunk_fields_) close_command();
}

void HashPatcher::close_command() {
  if (body_fields_ == 0) return;
  std::string command = "*" + std::to_string(2 + 2 * body_fields_) + "\r\n";
  append_bulk(command, "HSET");
  append_bulk(command, key_);
  command += body_;
  commands_.push_back(std::move(command));
  body_.clear();
  body_fields_ = 0;
}

bool HashPatcher::finish() {
  if (usable_) send();
  while (!in_flight_.empty()) read_one();
  close_command();
  // Every field Redis holds was among those added (each added field counted
  // once: the resync's fields are unique per hash); otherwise the extra ones
  // would have to go, which only a rebuild does.
  return usable_ && static_cast<int64_t>(present_) == live_fields_;
}

}  // namespace ez::snapshot

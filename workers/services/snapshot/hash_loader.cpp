#include "snapshot/hash_loader.h"

#include <hiredis/hiredis.h>

#include "redisx/reply.h"
#include "redisx/resp.h"

namespace ez::snapshot {

using redisx::append_bulk;
using redisx::expect_not_error;
using redisx::reply_text;

HashLoader::HashLoader(redisx::Redis& redis, std::string key, size_t chunk_fields,
                       size_t max_in_flight)
    : redis_(redis),
      key_(std::move(key)),
      chunk_fields_(chunk_fields),
      max_in_flight_(max_in_flight) {}

void HashLoader::add(std::string_view field, std::string_view value) {
  // Written straight in the Redis protocol: a resync adds a million fields,
  // and an argv of strings per chunk costs more than the rest of the load.
  append_bulk(body_, field);
  append_bulk(body_, value);
  ++count_;
  if (++fields_ >= chunk_fields_) send();
}

void HashLoader::send() {
  if (fields_ == 0) return;
  std::string command = "*" + std::to_string(2 + 2 * fields_) + "\r\n";
  append_bulk(command, "HSET");
  append_bulk(command, key_);
  command += body_;
  body_.clear();
  fields_ = 0;
  redis_.append_formatted(command);
  ++in_flight_;
  // Reading the oldest reply also flushes what was appended, so Redis parses
  // chunk N while the producer builds chunk N+1.
  while (in_flight_ > max_in_flight_) read_one();
}

void HashLoader::read_one() {
  redisx::Reply r = redis_.read_reply();
  --in_flight_;
  if (r->type == REDIS_REPLY_ERROR) {
    redis_.mark_broken();  // replies of other chunks are still on the wire
    throw redisx::RedisError("HSET " + key_ + ": " + reply_text(r.get()));
  }
}

size_t HashLoader::finish() {
  send();
  while (in_flight_ > 0) read_one();
  return count_;
}

}  // namespace ez::snapshot

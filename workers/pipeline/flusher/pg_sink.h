// The flusher's PostgreSQL side: COPY (pqxx::stream_to) into logs plus the committed
// sequence in log_flusher_state, in one transaction. Rows PostgreSQL refuses (a class 22/23
// error, which our validation should make impossible) are retried one by one; those that
// still fail go to logs_rejected, so one bad row never blocks the queue.
#pragma once

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "flusher/sink.h"

namespace ez::flusher {

class PgSink : public Sink {
 public:
  // `host` is recorded in log_flusher_state (which machine's queue a row belongs to).
  // Each batch also gets its cost at ingest and is added to the usage rollups in the same
  // transaction (rollup/ingest.h, rollup/rollup_sql.h); maintain() drops rollups older than
  // `rollup_retention_days`.
  PgSink(std::string dsn, std::string host, int rollup_retention_days = 400);
  ~PgSink() override;

  [[nodiscard]] uint64_t committed_seq(uint64_t ring_id) override;
  [[nodiscard]] WriteResult write(uint64_t ring_id, uint64_t expected,
                                  std::span<const logq::Consumer::Entry> entries) override;
  void maintain(int days_ahead, int retention_days) override;
  void disconnect() noexcept override;
  [[nodiscard]] bool connected() const override;

 private:
  pqxx::connection& conn();
  WriteResult write_one_by_one(uint64_t ring_id, uint64_t expected,
                               std::span<const logq::Consumer::Entry> entries);

  std::string dsn_;
  std::string host_;
  int rollup_retention_days_;
  std::unique_ptr<pqxx::connection> conn_;
};

// "dsn" + connection options, for both key=value and postgresql:// URI forms.
[[nodiscard]] std::string dsn_with(const std::string& dsn, const std::string& key,
                                   const std::string& value);

}  // namespace ez::flusher

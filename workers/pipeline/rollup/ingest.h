// Cost at ingest: the pure half of what the flusher does to a batch before its COPY
// (workers/pipeline/flusher/pg_sink.cpp runs the SQL). Tested without a database in
// tests/unit/pipeline/rollup/rollup_test.cpp.
//
// Rules (README "Decisions"):
//  * An entry that carries `cost` keeps it, verbatim.
//  * Otherwise, when it names a model, the price of the registered model
//    "<namespace>.<model>" is used, read in the batch's own transaction (the price at
//    ingest: a later change never rewrites history). The namespace is the entry's, else
//    its master's default_namespace, else "default".
//    cost = ((prompt - cached) * input_price + cached * cache_read_price
//            + completion * output_price) / 1e6, in numeric (exact decimal), where
//    cached = extra.cache_read_tokens (an integer, capped at prompt_tokens; 0 when absent)
//    and cache_read_price defaults to input_price. Missing token counts count as 0.
//  * No price (no model, unknown model, or a model without input_price/output_price):
//    cost stays NULL and the entry counts as "unpriced" in the rollups.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ez::rollup {

// extra.cache_read_tokens when it is a non-negative integer, else nullopt.
[[nodiscard]] std::optional<int64_t> cache_read_tokens(std::string_view extra_json);

// The price lookup + cost, one row per entry to price: unnest($1 master_id bigint[],
// $2 namespace text[], $3 model text[], $4 prompt bigint[], $5 completion bigint[],
// $6 cached bigint[], $7 index int[]) -> (index, cost text). Entries without a price
// produce no row.
[[nodiscard]] const char* price_sql();

}  // namespace ez::rollup

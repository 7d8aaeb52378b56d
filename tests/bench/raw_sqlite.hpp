#pragma once

#include <string>
#include <vector>

#include "gateway/core/event.hpp"

namespace edgegate::bench {

// The baseline of the ingest figure: the sqlite3 C API used directly, as a program without a
// journal layer would. Creates `raw_path` with the tables and indexes of the journal at
// `schema_from` (so the rows cost the same to insert), sets WAL and synchronous=FULL or NORMAL,
// and inserts `events` with one prepared statement in transactions of `batch` rows. Returns the
// seconds the inserts took (schema creation excluded).
double raw_sqlite_insert(const std::string& schema_from, const std::string& raw_path, bool full,
                         const std::vector<event>& events, int batch);

}  // namespace edgegate::bench

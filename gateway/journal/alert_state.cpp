// The rules engine's active alerts, kept in the journal beside the events (JOURNAL.md).

#include <stdexcept>

#include "gateway/journal/journal.hpp"
#include "gateway/journal/sqlite.hpp"
#include "gateway/journal/writer_statements.hpp"

namespace edgegate {

using namespace journal_detail;

void journal_writer::save_alert(const active_alert& a) {
    if (!in_tx_) throw std::logic_error("journal_writer::save_alert outside begin()/commit()");
    try {
        query(stmts_->save_alert)
            .bind(1, std::string_view(a.rule))
            .bind(2, std::string_view(a.device))
            .bind(3, std::string_view(a.point))
            .bind(4, static_cast<std::int64_t>(a.severity))
            .bind(5, to_unix_ms(a.since))
            .bind(6, to_unix_ms(a.announced))
            .bind(7, a.peak)
            .run();
    } catch (const journal_error& e) {
        abandon_transaction(e);
        throw;
    }
}

void journal_writer::remove_alert(std::string_view rule, std::string_view device,
                                  std::string_view point) {
    if (!in_tx_) throw std::logic_error("journal_writer::remove_alert outside begin()/commit()");
    try {
        query(stmts_->remove_alert).bind(1, rule).bind(2, device).bind(3, point).run();
    } catch (const journal_error& e) {
        abandon_transaction(e);
        throw;
    }
}

std::vector<active_alert> journal_writer::load_alerts() {
    if (in_tx_) throw std::logic_error("journal_writer::load_alerts inside a transaction");
    return alert_rows(stmts_->load_alerts);
}

std::vector<active_alert> journal_detail::alert_rows(statement& s) {
    std::vector<active_alert> out;
    query q(s);
    while (q.step()) {
        active_alert a;
        a.rule = q.text(0);
        a.device = q.text(1);
        a.point = q.text(2);
        const std::int64_t sev = q.int64(3);
        a.severity = sev == static_cast<std::int64_t>(severity::info)       ? severity::info
                     : sev == static_cast<std::int64_t>(severity::critical) ? severity::critical
                                                                            : severity::warning;
        a.since = from_unix_ms(q.int64(4));
        a.announced = from_unix_ms(q.int64(5));
        if (!q.is_null(6)) a.peak = q.real(6);
        out.push_back(std::move(a));
    }
    return out;
}

}  // namespace edgegate

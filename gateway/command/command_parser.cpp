#include "gateway/command/command_parser.hpp"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "gateway/core/yaml_section.hpp"

namespace edgegate {

namespace {

constexpr std::size_t max_id_bytes = 256;
constexpr std::array<std::string_view, 3> known_keys{"value", "id", "ts"};

// Under kParseFullPrecisionFlag RapidJSON 1.1.0 reads a number beyond double range (2e308) as
// infinity, which its Writer then refuses, leaving half a value: "null" keeps the audit record
// JSON.
std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    if (!v.Accept(w)) return "null";
    return {buf.GetString(), buf.GetSize()};
}

// The member `key` of `obj`, or nullptr. Through HasMember rather than comparing FindMember()
// with MemberEnd(): clang 14 in C++20 rejects RapidJSON's iterator comparisons as ambiguous.
const rapidjson::Value* member(const rapidjson::Value& obj, const char* key) {
    return obj.HasMember(key) ? &obj[key] : nullptr;
}

std::optional<value> to_value(const rapidjson::Value& v) {
    if (v.IsBool()) return value(v.GetBool());
    if (v.IsInt64()) return value(v.GetInt64());
    if (v.IsUint64()) return value(v.GetUint64());
    if (v.IsNumber() && std::isfinite(v.GetDouble())) return value(v.GetDouble());
    if (v.IsString()) return value(std::string(v.GetString(), v.GetStringLength()));
    return std::nullopt;
}

}  // namespace

parsed_command parse_command(std::string_view payload) {
    parsed_command out;
    if (payload.size() > max_command_bytes) {
        out.error = "payload too large (" + std::to_string(payload.size()) +
                    " bytes, the limit is " + std::to_string(max_command_bytes) + ")";
        return out;
    }
    rapidjson::Document doc;
    // kParseFullPrecisionFlag: a setpoint of 21.7 reads as the double nearest 21.7.
    doc.Parse<rapidjson::kParseFullPrecisionFlag | rapidjson::kParseValidateEncodingFlag>(
        payload.data(), payload.size());
    if (doc.HasParseError()) {
        out.error = std::string("malformed JSON at byte ") + std::to_string(doc.GetErrorOffset()) +
                    ": " + rapidjson::GetParseError_En(doc.GetParseError());
        return out;
    }
    if (!doc.IsObject()) {
        out.error = "expected a JSON object such as {\"value\": true, \"id\": \"42\"}";
        return out;
    }
    // The id first, so that every later refusal still reaches the caller under it.
    std::string error;
    if (const auto* id = member(doc, "id")) {
        if (!id->IsString()) {
            error = "\"id\" must be a string";
        } else if (id->GetStringLength() > max_id_bytes) {
            error = "\"id\" is longer than " + std::to_string(max_id_bytes) + " bytes";
        } else {
            out.id = std::string(id->GetString(), id->GetStringLength());
        }
    }
    const auto* v = member(doc, "value");
    if (v != nullptr) out.requested = to_json(*v);
    for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i) {
        const auto& name = (doc.MemberBegin() + i)->name;
        const std::string_view key(name.GetString(), name.GetStringLength());
        if (std::find(known_keys.begin(), known_keys.end(), key) != known_keys.end()) continue;
        if (error.empty()) {
            const auto suggestion =
                nearest(key, std::vector<std::string>(known_keys.begin(), known_keys.end()));
            error = "unknown key \"" + std::string(key) + "\"" +
                    (suggestion ? ", did you mean \"" + *suggestion + "\"?"
                                : " (expected value, id, ts)");
        }
    }
    if (const auto* ts = member(doc, "ts"); ts != nullptr && error.empty()) {
        if (ts->IsString()) out.ts = parse_iso8601({ts->GetString(), ts->GetStringLength()});
        if (!out.ts) {
            error =
                "\"ts\" must be an ISO 8601 time with a zone, such as "
                "\"2026-11-27T08:30:00.000Z\"";
        }
    }
    if (error.empty()) {
        if (v == nullptr) {
            error = "missing \"value\"";
        } else if (auto converted = to_value(*v)) {
            out.value = std::move(converted);
        } else if (v->IsNumber()) {
            error = "\"value\" is beyond the range of a double";
        } else {
            error = "\"value\" must be a boolean, a number or a string, got " + out.requested;
        }
    }
    out.error = std::move(error);
    if (!out.error.empty()) out.value.reset();
    return out;
}

}  // namespace edgegate

#pragma once
// Just enough JSON for the tool's listings: a string escaped and quoted, and arrays of
// strings. Objects are written by the callers with fmt.

#include <string>
#include <string_view>
#include <vector>

namespace mosaik_tool::json {

// `text` as a JSON string literal, quotes included.
std::string quote(std::string_view text);
// ["a","b"]
std::string array(const std::vector<std::string>& items);

}  // namespace mosaik_tool::json

#pragma once
// The live web view's page: one self-contained HTML document (inline style and script, no
// CDN) that fetches /state.json each second and draws the peers (group leaders marked), this
// node's channels and their rates, and the groups with their leader, term and commit index.

#include <string_view>

namespace mosaik::network::detail {

std::string_view web_page();

}  // namespace mosaik::network::detail

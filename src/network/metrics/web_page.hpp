#pragma once
// The live web view's page: one self-contained HTML document (inline style and script, no
// CDN) that fetches /state.json each second and draws the peers, this node's channels and
// their rates.

#include <string_view>

namespace mosaik::network::detail {

std::string_view web_page();

}  // namespace mosaik::network::detail

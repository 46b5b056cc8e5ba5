#pragma once
// What the listings print: the catalog as a table or as JSON (peers, streams, groups), and
// one line per discovery event for `watch`.

#include <string>

#include "mosaik/discovery/catalog.hpp"
#include "mosaik/discovery/events.hpp"

namespace mosaik_tool {

// Milliseconds since the Unix epoch, the clock of entry versions.
mosaik::discovery::Timestamp now_ms();

// Every entry but `self` (the observer).
std::string peers_table(const mosaik::discovery::Catalog& catalog, const mosaik::PeerId& self,
                        mosaik::discovery::Timestamp now);
std::string peers_json(const mosaik::discovery::Catalog& catalog, const mosaik::PeerId& self,
                       mosaik::discovery::Timestamp now);

// Each advertised stream with the peers that produce it.
std::string streams_table(const mosaik::discovery::Catalog& catalog);
std::string streams_json(const mosaik::discovery::Catalog& catalog);

// Each advertised group with the peers that say they belong to it and what each reports
// (leader, term, commit index; decision 0702); the group's line takes the leader named in the
// highest term reported, the highest term and the highest commit index.
std::string groups_table(const mosaik::discovery::Catalog& catalog);
std::string groups_json(const mosaik::discovery::Catalog& catalog);

// One line (no newline) for `watch`: "joined <id> ...", "updated <id> ...", "left <id>".
std::string event_line(const mosaik::discovery::Event& event, bool json,
                       mosaik::discovery::Timestamp now);
// The line `watch` prints for each peer already there when it starts.
std::string present_line(const mosaik::discovery::CatalogEntry& entry, bool json,
                         mosaik::discovery::Timestamp now);

}  // namespace mosaik_tool

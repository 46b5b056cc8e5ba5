#include "collector.hpp"

#include <fmt/format.h>

#include <limits>
#include <string>

#include "../../streams/service.hpp"
#include "groups/service.hpp"

namespace mosaik::network::detail {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

void add(MetricFamily& f, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) {
    m.counter.value = value;
  } else {
    m.gauge.value = value;
  }
  f.metric.push_back(std::move(m));
}

// A counter or gauge with one unlabelled value.
MetricFamily single(std::string name, std::string help, MetricType type, double value) {
  auto f = family(std::move(name), std::move(help), type);
  add(f, value);
  return f;
}

std::string short_id(const Digest& d) { return d.to_short_hex(); }
std::string short_id(const PeerId& p) { return fmt::format("{}", p); }

void add_transport(std::vector<MetricFamily>& out, const transport::TrafficStats& t) {
  constexpr auto kCounter = MetricType::Counter;
  out.push_back(single("mosaik_transport_connections", "QUIC connections held (handshaking or open)",
                       MetricType::Gauge, static_cast<double>(t.connections)));
  out.push_back(single("mosaik_transport_received_bytes_total", "UDP payload bytes received",
                       kCounter, static_cast<double>(t.bytes_in)));
  out.push_back(single("mosaik_transport_sent_bytes_total", "UDP payload bytes sent", kCounter,
                       static_cast<double>(t.bytes_out)));
  out.push_back(single("mosaik_transport_received_packets_total", "UDP datagrams received",
                       kCounter, static_cast<double>(t.packets_in)));
  out.push_back(single("mosaik_transport_sent_packets_total", "UDP datagrams sent", kCounter,
                       static_cast<double>(t.packets_out)));
  auto failures = family("mosaik_transport_handshake_failures_total",
                         "QUIC handshakes refused or failed: incoming (inbound) and dialed (outbound, "
                         "per address tried), by reason",
                         kCounter);
  for (std::size_t i = 0; i < transport::kHandshakeFailureKinds; ++i) {
    const auto reason = static_cast<transport::HandshakeFailure>(i);
    add(failures, static_cast<double>(t.failures(reason)),
        {{"direction", "inbound"}, {"reason", std::string(transport::to_string(reason))}});
  }
  for (std::size_t i = 0; i < transport::kDialFailureKinds; ++i) {
    const auto reason = static_cast<transport::DialFailure>(i);
    add(failures, static_cast<double>(t.failures(reason)),
        {{"direction", "outbound"}, {"reason", std::string(transport::to_string(reason))}});
  }
  out.push_back(std::move(failures));
}

void add_streams(std::vector<MetricFamily>& out, const streams::detail::StreamsService::Counters& c) {
  constexpr auto kCounter = MetricType::Counter;
  auto sent_datums = family("mosaik_stream_sent_datums_total",
                            "Datums this node's producers sent, per stream and consumer", kCounter);
  auto sent_bytes = family("mosaik_stream_sent_bytes_total",
                           "Bytes this node's producers sent, per stream and consumer", kCounter);
  auto received_datums =
      family("mosaik_stream_received_datums_total",
             "Datums this node's consumers received, per stream and producer", kCounter);
  auto received_bytes =
      family("mosaik_stream_received_bytes_total",
             "Bytes this node's consumers received, per stream and producer", kCounter);
  for (const auto& ch : c.channels) {
    const std::string stream = short_id(ch.stream);
    const std::string peer = short_id(ch.peer);
    if (ch.producing) {
      add(sent_datums, static_cast<double>(ch.datums), {{"stream", stream}, {"consumer", peer}});
      add(sent_bytes, static_cast<double>(ch.bytes), {{"stream", stream}, {"consumer", peer}});
    } else {
      add(received_datums, static_cast<double>(ch.datums), {{"stream", stream}, {"producer", peer}});
      add(received_bytes, static_cast<double>(ch.bytes), {{"stream", stream}, {"producer", peer}});
    }
  }
  auto lagged = family("mosaik_stream_lagged_consumers_total",
                       "Consumers disconnected as too slow (TooSlow), per produced stream", kCounter);
  auto dropped = family("mosaik_stream_dropped_datums_total",
                        "Datums a too-slow consumer lost when it was disconnected, per stream",
                        kCounter);
  for (const auto& s : c.produced) {
    add(lagged, static_cast<double>(s.lagged_consumers), {{"stream", short_id(s.stream)}});
    add(dropped, static_cast<double>(s.dropped_datums), {{"stream", short_id(s.stream)}});
  }
  for (auto* f : {&sent_datums, &sent_bytes, &received_datums, &received_bytes, &lagged, &dropped}) {
    out.push_back(std::move(*f));
  }
}

void add_groups(std::vector<MetricFamily>& out,
                const std::vector<groups::detail::GroupsService::GroupCounters>& counters) {
  constexpr auto kCounter = MetricType::Counter;
  constexpr auto kGauge = MetricType::Gauge;
  auto term = family("mosaik_group_term", "The term this member knows, per group", kGauge);
  auto commit = family("mosaik_group_commit_index", "The commit index this member knows, per group", kGauge);
  auto leading = family("mosaik_group_is_leader", "1 while this member leads the group", kGauge);
  auto bonds = family("mosaik_group_bonds", "Members this member is bonded with, per group", kGauge);
  auto leader_changes = family("mosaik_group_leader_changes_total",
                               "Times this member came to follow a new leader (the first included)", kCounter);
  auto elections = family("mosaik_group_elections_total", "Elections this member started (terms it campaigned in)",
                          kCounter);
  auto served = family("mosaik_group_replay_batches_served_total",
                       "Batches of committed entries this member served to members replaying, per group", kCounter);
  auto fetched = family("mosaik_group_replay_batches_fetched_total",
                        "Batches of committed entries this member fetched from members and took, per group", kCounter);
  auto latency = family("mosaik_group_commit_latency_seconds",
                        "Time from execute() on this member to its commands' commit, per group", MetricType::Histogram);
  for (const auto& g : counters) {
    const std::vector<ClientMetric::Label> label{{"group", short_id(g.group)}};
    const auto& m = g.metrics;
    add(term, static_cast<double>(m.term), label);
    add(commit, static_cast<double>(m.commit_index), label);
    add(leading, m.is_leader ? 1.0 : 0.0, label);
    add(bonds, static_cast<double>(m.bonds), label);
    add(leader_changes, static_cast<double>(m.leader_changes), label);
    add(elections, static_cast<double>(m.elections), label);
    add(served, static_cast<double>(m.replay_batches_served), label);
    add(fetched, static_cast<double>(m.replay_batches_fetched), label);
    ClientMetric h;
    h.label = label;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < m.commit_latency_counts.size(); ++i) {
      cumulative += m.commit_latency_counts[i];
      const double bound = i < groups::detail::kCommitLatencyBoundsSeconds.size()
                               ? groups::detail::kCommitLatencyBoundsSeconds[i]
                               : std::numeric_limits<double>::infinity();
      h.histogram.bucket.push_back({cumulative, bound});
    }
    h.histogram.sample_count = cumulative;
    h.histogram.sample_sum = m.commit_latency_sum_seconds;
    latency.metric.push_back(std::move(h));
  }
  for (auto* f : {&term, &commit, &leading, &bonds, &leader_changes, &elections, &served, &fetched, &latency}) {
    out.push_back(std::move(*f));
  }
}

}  // namespace

std::vector<MetricFamily> MetricsServer::Collector::Collect() const {
  std::vector<MetricFamily> out;
  out.push_back(single("mosaik_discovery_peers", "Peers in this node's catalog", MetricType::Gauge,
                       static_cast<double>(sources_.discovery.catalog().size())));
  add_transport(out, sources_.endpoint.traffic());
  if (auto streams = sources_.streams.lock()) add_streams(out, streams->counters());
  if (auto service = sources_.groups.lock()) add_groups(out, service->counters());
  return out;
}

}  // namespace mosaik::network::detail

// Elections: randomized timeouts, PreVote, votes, genesis of a new group, role changes.
//
// Genesis is an ordinary election in the incarnation its founders define
// (incarnation_of(founders)): a node holding no entry campaigns with its bonded peers as
// the founding set, and whoever wins appends that set as the first membership. Two
// candidates with the same set compete in one incarnation by term, as Raft candidates do,
// so the founders cannot split into two groups.
#include <algorithm>
#include <stdexcept>

#include <mosaik/primitives/blake3.hpp>

#include "core.hpp"
#include "membership_codec.hpp"

namespace mosaik::groups::raft {

namespace {
std::uint32_t leadership_factor(const CoreOptions& o) {
  return std::max<std::uint32_t>({1u, o.config.leadership_factor, o.preference.factor()});
}
}  // namespace

std::uint64_t Core::incarnation_of(const std::vector<NodeId>& founders) {
  blake3::Hasher h;
  h.update(std::string_view{"mosaik.groups.raft.incarnation.v1"});
  for (const auto& f : founders) h.update(std::span<const std::uint8_t>(f.as_bytes()));
  const auto out = h.finalize();
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{out[i]} << (8 * i);
  return v | 1;  // never 0: 0 means "no group"
}

Time Core::randomized_election_timeout() const {
  const auto factor = leadership_factor(options_);
  const auto& c = options_.config;
  const auto jitter_max = static_cast<std::uint64_t>(c.election_timeout_jitter.count()) * factor;
  const auto jitter = jitter_max == 0 ? 0 : options_.random() % (jitter_max + 1);
  Time timeout = c.election_timeout * factor + Time(static_cast<Time::rep>(jitter));
  // The seed's bootstrap delay: the first election (term zero) waits for peers to bond.
  if (hard_.incarnation == 0 && hard_.term.is_zero()) timeout += c.bootstrap_delay * factor;
  return timeout;
}

void Core::reset_election_deadline() { election_deadline_ = now_ + randomized_election_timeout(); }

// A learner may campaign too (decision 0402): its own vote counts for nothing, so it wins only
// with a quorum of the voters of its membership, as Raft requires of any candidate. Without
// that, a learner holding the newest log after its leader departed could block every voter
// (SIM_SEED=1593336653).
bool Core::promotable() const {
  return hard_.incarnation != 0 && membership().contains(options_.id) && !options_.preference.never_campaigns();
}

bool Core::in_lease() const {
  if (role_ == Role::Leader) return true;
  return leader_.has_value() && heard_from_leader_ &&
         now_ - last_leader_contact_ < options_.config.election_timeout;
}

const std::vector<NodeId>& Core::electorate() const {
  return membership().voters.empty() ? genesis_voters_ : membership().voters;
}

void Core::switch_incarnation(std::uint64_t incarnation) {
  // Term and vote belong to an incarnation: park ours, resume the new one's (if we were
  // there before), so no term of any incarnation ever gets two votes from us.
  auto& parked = hard_.abandoned;
  auto find = [&](std::uint64_t inc) {
    return std::find_if(parked.begin(), parked.end(), [inc](const auto& a) { return a.incarnation == inc; });
  };
  if (hard_.incarnation != 0) {
    if (auto it = find(hard_.incarnation); it != parked.end()) parked.erase(it);
    if (parked.size() >= kMaxAbandonedIncarnations) parked.erase(parked.begin());
    parked.push_back({hard_.incarnation, hard_.term, hard_.vote});
  }
  hard_.term = Term(0);
  hard_.vote.reset();
  if (auto it = find(incarnation); it != parked.end()) {
    hard_.term = it->term;
    hard_.vote = it->vote;
    parked.erase(it);
  }
  hard_.incarnation = incarnation;
  group_exists_ = false;
  forward_memory_after_ = std::max(forward_memory_after_, hard_.term);  // a resumed term may predate this life
  hard_state_changed();
  role_ = Role::Follower;
  leader_.reset();
  heard_from_leader_ = false;
  notify_role();
  votes_.clear();
  genesis_voters_.clear();
  reset_election_deadline();
}

void Core::become_follower(Term term, std::optional<NodeId> leader) {
  if (term != hard_.term) {
    hard_.term = term;
    hard_.vote.reset();
    hard_state_changed();
  }
  if (role_ == Role::Leader) {
    fail_all_leader_reads();
    start_pending_commit_deadlines();  // nobody commits them for us any more
  }
  if (role_ != Role::Follower || leader_ != leader) notify_role();
  if (leader_ != leader) state_sync_requested_ = false;
  role_ = Role::Follower;
  leader_ = leader;
  heard_from_leader_ = false;
  votes_.clear();
  reset_election_deadline();
}

void Core::become_pre_candidate() {
  role_ = Role::PreCandidate;
  leader_.reset();
  notify_role();
  votes_.clear();
  reset_election_deadline();
  tally(options_.id, true);
  if (role_ != Role::PreCandidate) return;
  for (const auto& v : electorate()) {
    if (v == options_.id) continue;
    auto m = make(MessageType::PreVote, v);
    m.term = hard_.term.next();  // the term it would campaign in; ours does not move
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    send(std::move(m));
  }
}

void Core::become_candidate() {
  if (planted(PlantedBug::CampaignBeforePersist) && !planted_unpersisted_hard_) planted_unpersisted_hard_ = hard_;
  hard_.term = hard_.term.next();
  hard_.vote = options_.id;
  hard_state_changed();
  role_ = Role::Candidate;
  leader_.reset();
  notify_role();
  votes_.clear();
  reset_election_deadline();
  tally(options_.id, true);
  if (role_ != Role::Candidate) return;
  const bool genesis = membership().voters.empty();
  for (const auto& v : electorate()) {
    if (v == options_.id) continue;
    auto m = make(MessageType::Vote, v);
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    if (genesis) m.voters = genesis_voters_;
    send(std::move(m));
  }
}

void Core::campaign_genesis() {
  std::vector<NodeId> founders{options_.id};
  for (const auto& [peer, bond] : bonds_)
    if (bond.up && !bond.observer) founders.push_back(peer);  // observers never vote
  std::sort(founders.begin(), founders.end());
  if (options_.preference.never_campaigns() || founders.size() < options_.config.bootstrap_expect) {
    reset_election_deadline();
    return;
  }
  const auto incarnation = incarnation_of(founders);
  if (incarnation != hard_.incarnation) switch_incarnation(incarnation);
  genesis_voters_ = std::move(founders);
  become_candidate();
}

void Core::on_election_timeout() {
  if (unbound() && membership().voters.empty()) {
    if (!group_exists_ && options_.may_found) return campaign_genesis();
    reset_election_deadline();  // the group exists: its leader will reach us
    return;
  }
  if (promotable()) return become_pre_candidate();
  reset_election_deadline();
}

void Core::handle_vote_request(const Message& m) {
  const bool pre = m.message_type() == MessageType::PreVote;
  bool grant = false;
  if (!m.voters.empty() && (m.voters.size() < options_.config.bootstrap_expect || !options_.may_found)) {
    grant = false;  // a founding set smaller than we would accept, or we only ever join
  } else {
    const bool lease = in_lease() && !planted(PlantedBug::PreVoteIgnoresLease);
    const bool can_vote = pre ? (m.term > hard_.term && !lease)
                              : (hard_.vote == m.from || (!hard_.vote && !leader_));
    grant = can_vote && (log_.is_up_to_date({m.log_term, m.index}) || planted(PlantedBug::VoteIgnoresLog));
  }
  if (grant && !pre) {
    if (planted(PlantedBug::VoteBeforePersist) && !planted_unpersisted_vote_) planted_unpersisted_vote_ = hard_.vote;
    hard_.vote = m.from;
    hard_state_changed();
    reset_election_deadline();
  }
  auto r = make(pre ? MessageType::PreVoteResponse : MessageType::VoteResponse, m.from);
  r.reject = !grant;
  if (pre && grant) r.term = m.term;  // echo the prospective term: not a newer term of ours
  send(std::move(r));
  if (pre && grant && planted(PlantedBug::PreVoteBumpsTerm)) become_follower(m.term, std::nullopt);
}

void Core::handle_vote_response(const Message& m) {
  const bool pre = m.message_type() == MessageType::PreVoteResponse;
  if (pre && role_ != Role::PreCandidate) return;
  if (!pre && role_ != Role::Candidate) return;
  if (pre && !m.reject && m.term != hard_.term.next()) return;  // answer to an older round
  if (!pre && m.term != hard_.term) return;
  tally(m.from, !m.reject);
}

void Core::tally(const NodeId& from, bool granted) {
  const auto& voters = electorate();
  if (!std::binary_search(voters.begin(), voters.end(), from)) return;  // not counted
  votes_.emplace(from, granted);
  std::size_t yes = 0, no = 0;
  for (const auto& [id, g] : votes_) (g ? yes : no) += 1;
  const auto quorum = voters.size() / 2 + 1;
  if (yes >= quorum) {
    if (role_ == Role::PreCandidate) return become_candidate();
    return become_leader();
  }
  if (no > voters.size() - quorum) become_follower(hard_.term, std::nullopt);
}

void Core::become_leader() {
  const bool genesis = membership().voters.empty();
  if (!genesis && !membership().contains(options_.id))
    throw std::logic_error("raft::Core: elected while not a member of its own membership");
  role_ = Role::Leader;
  leader_ = options_.id;
  notify_role();
  votes_.clear();
  leader_since_ = now_;
  read_round_ = 0;
  progress_.reset_all(membership(), options_.id, log_.last_index(), now_);
  if (genesis) {
    // The founding set becomes the group's first membership, through the log like any other.
    Membership first{std::move(genesis_voters_), {}};
    genesis_voters_.clear();
    append_local(Entry{hard_.term, log_.last_index().next(),
                       static_cast<std::uint8_t>(EntryKind::Membership), encode_membership(first)});
  } else if (!planted(PlantedBug::CountEarlierTermReplicas)) {
    // §5.4.2: entries of earlier terms commit only through an entry of this term.
    append_local(Entry{hard_.term, log_.last_index().next(), static_cast<std::uint8_t>(EntryKind::Noop), {}});
  }
  heartbeat_deadline_ = now_ + options_.config.heartbeat_interval;
  check_quorum_deadline_ = now_ + options_.config.election_timeout;
  broadcast_append();
  maybe_commit();
}

}  // namespace mosaik::groups::raft

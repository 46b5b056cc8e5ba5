// Elections: randomized timeouts, PreVote, votes, genesis of a new group, role changes.
#include <algorithm>

#include "core.hpp"
#include "membership_codec.hpp"

namespace mosaik::groups::raft {

namespace {
std::uint32_t leadership_factor(const CoreOptions& o) {
  return std::max<std::uint32_t>({1u, o.config.leadership_factor, o.preference.factor()});
}
}  // namespace

Time Core::randomized_election_timeout() const {
  const auto factor = leadership_factor(options_);
  const auto& c = options_.config;
  const auto jitter_max = static_cast<std::uint64_t>(c.election_timeout_jitter.count()) * factor;
  const auto jitter = jitter_max == 0 ? 0 : options_.random() % (jitter_max + 1);
  Time timeout = c.election_timeout * factor + Time(static_cast<Time::rep>(jitter));
  // The seed's bootstrap delay: the group's first election waits for peers to bond.
  if (hard_.incarnation == 0) timeout += c.bootstrap_delay * factor;
  return timeout;
}

void Core::reset_election_deadline() { election_deadline_ = now_ + randomized_election_timeout(); }

bool Core::promotable() const {
  return hard_.incarnation != 0 && membership().is_voter(options_.id) &&
         !options_.preference.never_campaigns();
}

bool Core::in_lease() const {
  if (role_ == Role::Leader) return true;
  return leader_.has_value() && heard_from_leader_ &&
         now_ - last_leader_contact_ < options_.config.election_timeout;
}

void Core::become_follower(Term term, std::optional<NodeId> leader) {
  if (term != hard_.term) {
    hard_.term = term;
    hard_.vote.reset();
    hard_state_changed();
  }
  if (role_ == Role::Leader) fail_all_leader_reads();
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
  for (const auto& v : membership().voters) {
    if (v == options_.id) continue;
    auto m = make(MessageType::PreVote, v);
    m.term = hard_.term.next();  // the term it would campaign in; ours does not move
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    send(std::move(m));
  }
}

void Core::become_candidate() {
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
  for (const auto& v : membership().voters) {
    if (v == options_.id) continue;
    auto m = make(MessageType::Vote, v);
    m.index = log_.last_index();
    m.log_term = log_.last_term();
    send(std::move(m));
  }
}

void Core::campaign_genesis() {
  std::vector<NodeId> known{options_.id};
  for (const auto& [peer, bond] : bonds_)
    if (bond.up) known.push_back(peer);
  std::sort(known.begin(), known.end());
  if (options_.preference.never_campaigns() || known.size() < options_.config.bootstrap_expect) {
    reset_election_deadline();
    return;
  }
  genesis_voters_ = known;
  hard_.term = hard_.term.next();
  hard_.vote = options_.id;
  hard_state_changed();
  role_ = Role::Candidate;
  notify_role();
  votes_.clear();
  reset_election_deadline();
  tally(options_.id, true);
  if (role_ != Role::Candidate) return;
  for (const auto& v : genesis_voters_) {
    if (v == options_.id) continue;
    auto m = make(MessageType::Vote, v);
    m.voters = genesis_voters_;
    send(std::move(m));
  }
}

void Core::on_election_timeout() {
  if (hard_.incarnation == 0) return campaign_genesis();
  if (promotable()) return become_pre_candidate();
  reset_election_deadline();
}

const AbandonedIncarnation* Core::abandoned(std::uint64_t incarnation) const {
  for (const auto& a : hard_.abandoned)
    if (a.incarnation == incarnation) return &a;
  return nullptr;
}

void Core::maybe_abandon_incarnation() {
  // Joined a group but never received one of its entries, and its leader is gone for long:
  // nothing of it is here to lose, so wait for (or found) a group again. Without this, a
  // genesis leader that lost its disk leaves the others bound to a group nobody can lead.
  if (hard_.incarnation == 0 || !log_.last_index().is_zero()) return;
  const auto& c = options_.config;
  if (now_ - incarnation_contact_ < c.bootstrap_delay + 4 * c.election_timeout) return;
  if (hard_.abandoned.size() >= kMaxAbandonedIncarnations) hard_.abandoned.erase(hard_.abandoned.begin());
  hard_.abandoned.push_back({hard_.incarnation, hard_.term, hard_.vote});
  hard_.incarnation = 0;
  hard_state_changed();
  become_follower(hard_.term, std::nullopt);
}

bool Core::adopt_incarnation(const Message& m) {
  // A pre-genesis node joins the group whose leader reached it: its earlier genesis votes
  // belonged to no group, and voting for this term's leader cannot elect anyone else.
  const auto* before = abandoned(m.incarnation);
  if (before && m.term < before->term) return false;
  hard_.incarnation = m.incarnation;
  hard_.vote = before && m.term == before->term ? before->vote : std::optional<NodeId>(m.from);
  hard_.term = m.term;
  incarnation_contact_ = now_;
  hard_state_changed();
  role_ = Role::Follower;
  leader_ = m.from;
  notify_role();
  votes_.clear();
  genesis_voters_.clear();
  reset_election_deadline();
  return true;
}

void Core::join_incarnation_to_vote(const Message& m) {
  // Our log is empty: from the term and vote we last had in this incarnation (none if it
  // is new to us) we are a plain Raft voter. handle_term then moves us to the candidate's term.
  const auto* before = abandoned(m.incarnation);
  hard_.incarnation = m.incarnation;
  hard_.term = before ? before->term : Term(0);
  hard_.vote = before ? before->vote : std::nullopt;
  incarnation_contact_ = now_;
  hard_state_changed();
  role_ = Role::Follower;
  leader_.reset();
  notify_role();
  votes_.clear();
  genesis_voters_.clear();
  reset_election_deadline();
}

void Core::handle_vote_request(const Message& m) {
  const bool pre = m.message_type() == MessageType::PreVote;
  bool grant = false;
  if (m.incarnation == 0) {
    // Genesis: only for a proposal that names us, from a node that waited as we would.
    // A genesis vote is also a promise for two election timeouts, so that the winner's first
    // Append arrives before a rival genesis in a later term can split the founders.
    const bool promised_elsewhere = genesis_promise_ && *genesis_promise_ != m.from &&
                                    now_ - genesis_promise_at_ < 2 * options_.config.election_timeout;
    grant = !pre && !promised_elsewhere && m.term == hard_.term && (!hard_.vote || *hard_.vote == m.from) &&
            std::binary_search(m.voters.begin(), m.voters.end(), options_.id) &&
            std::binary_search(m.voters.begin(), m.voters.end(), m.from) &&
            m.voters.size() >= options_.config.bootstrap_expect;
  } else {
    const bool can_vote = pre ? (m.term > hard_.term && !in_lease())
                              : (hard_.vote == m.from || (!hard_.vote && !leader_));
    grant = can_vote && log_.is_up_to_date({m.log_term, m.index});
  }
  if (grant && m.incarnation == 0) {
    genesis_promise_ = m.from;
    genesis_promise_at_ = now_;
  }
  if (grant && !pre) {
    hard_.vote = m.from;
    hard_state_changed();
    reset_election_deadline();
  }
  auto r = make(pre ? MessageType::PreVoteResponse : MessageType::VoteResponse, m.from);
  r.incarnation = m.incarnation;
  r.reject = !grant;
  if (pre && grant) r.term = m.term;  // echo the prospective term: not a newer term of ours
  send(std::move(r));
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
  const bool genesis = hard_.incarnation == 0;
  const auto& voters = genesis ? genesis_voters_ : membership().voters;
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
  const bool genesis = hard_.incarnation == 0;
  if (genesis) {
    hard_.incarnation = options_.random() | 1;  // never 0: 0 means "no group yet"
    hard_state_changed();
  }
  role_ = Role::Leader;
  leader_ = options_.id;
  notify_role();
  votes_.clear();
  leader_since_ = now_;
  read_round_ = 0;
  progress_.reset_all(membership(), options_.id, log_.last_index(), now_);
  if (genesis) {
    Membership first{genesis_voters_, {}};
    genesis_voters_.clear();
    append_local(Entry{hard_.term, log_.last_index().next(),
                       static_cast<std::uint8_t>(EntryKind::Membership), encode_membership(first)});
  } else {
    // §5.4.2: entries of earlier terms commit only through an entry of this term.
    append_local(Entry{hard_.term, log_.last_index().next(), static_cast<std::uint8_t>(EntryKind::Noop), {}});
  }
  heartbeat_deadline_ = now_ + options_.config.heartbeat_interval;
  check_quorum_deadline_ = now_ + options_.config.election_timeout;
  broadcast_append();
  maybe_commit();
}

}  // namespace mosaik::groups::raft

// The simulated disk: writes are invisible until synced, a power loss keeps a prefix of the
// unsynced records, and recovery drops a torn last record by its checksum.
#include <gtest/gtest.h>

#include "sim_disk.hpp"

namespace mosaik::sim {
namespace sim_disk_test {
namespace {

using groups::Index;
using groups::Term;
using groups::raft::Entry;
using groups::raft::HardState;
using groups::raft::Ready;
using namespace std::chrono_literals;

Entry command(std::uint64_t index, std::uint64_t term) {
  return Entry{Term(term), Index(index), static_cast<std::uint8_t>(groups::raft::EntryKind::Command),
               encode_put(Put{1, index})};
}

DiskWrite write_of(std::optional<HardState> hard, std::vector<Entry> entries, Time due) {
  Ready r;
  r.hard_state = std::move(hard);
  r.entries = std::move(entries);
  return DiskWrite{std::move(r), {}, due};
}

// Stores what the caller would: the survivors of a loss, or a synced write.
void store(SimDisk& disk, const DiskWrite& w) { disk.log.save(w.writes.snapshot, w.writes.hard_state, w.writes.entries); }

TEST(SimDisk, writes_sync_in_order_and_not_before_their_time) {
  SimDisk disk;
  disk.hand_out(write_of(HardState{Term(1), {}, 0, {}}, {command(1, 1)}, Time(20ms)));
  disk.hand_out(write_of(std::nullopt, {command(2, 1)}, Time(5ms)));  // later in order: waits for the first
  EXPECT_FALSE(disk.sync_due(Time(10ms)));
  EXPECT_EQ(disk.next_due(), Time(20ms));
  auto first = disk.sync_due(Time(20ms));
  ASSERT_TRUE(first);
  EXPECT_EQ(first->writes.entries.front().index, Index(1));
  auto second = disk.sync_due(Time(20ms));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->writes.entries.front().index, Index(2));
  EXPECT_FALSE(disk.has_unsynced());
}

TEST(SimDisk, a_power_loss_keeps_a_prefix_of_the_unsynced_records) {
  SimDisk disk;
  disk.hand_out(write_of(HardState{Term(2), {}, 0, {}}, {command(1, 2), command(2, 2)}, Time(1ms)));
  disk.hand_out(write_of(HardState{Term(3), {}, 0, {}}, {command(3, 3)}, Time(1ms)));
  ASSERT_EQ(disk.unsynced_records(), 5u);
  auto survivors = disk.lose_unsynced(4);  // the second hard state made it, its entry did not
  for (const auto& w : survivors.writes) store(disk, w);
  EXPECT_FALSE(disk.has_unsynced());
  EXPECT_EQ(disk.log.hard_state().term, Term(3));
  EXPECT_EQ(disk.log.last_index(), Index(2));
  ASSERT_TRUE(survivors.next_entry);
  EXPECT_EQ(survivors.next_entry->index, Index(3));
}

TEST(SimDisk, a_term_not_synced_is_lost_with_the_power) {
  SimDisk disk;
  disk.log.save(std::nullopt, HardState{Term(4), {}, 0, {}}, {});
  disk.hand_out(write_of(HardState{Term(5), {}, 0, {}}, {}, Time(1ms)));
  auto survivors = disk.lose_unsynced(0);
  for (const auto& w : survivors.writes) store(disk, w);
  EXPECT_EQ(disk.log.hard_state().term, Term(4));
  EXPECT_FALSE(survivors.next_entry);  // a hard state is never left torn: its old value stays
}

TEST(SimDisk, recovery_drops_a_torn_last_record_by_its_checksum) {
  SimDisk disk;
  const std::vector<Entry> kept{command(1, 1)};
  disk.log.save(std::nullopt, HardState{Term(1), {}, 0, {}}, kept);
  const Entry torn = command(2, 1);
  // The header and half the command reached the disk: without the checksum it would read as
  // entry 2 with a garbled command.
  disk.tear(torn, encode_record(torn).size() - 4);
  EXPECT_TRUE(disk.recover());
  EXPECT_EQ(disk.log.last_index(), Index(1));
  EXPECT_FALSE(disk.recover());  // dropped once, for good
}

}  // namespace
}  // namespace sim_disk_test
}  // namespace mosaik::sim

// The leader bias towards attested members, measured in libraft's own
// election code: libraft's deterministic fixture (simulated time and
// network), each server's randomized election timeout drawn uniformly from
// [T, 2T] as libraft draws it (re-drawn after every fixture step, from a
// seeded generator, so the run is reproducible), T = biased_election_timeout
// (base, attested). Thousands of fresh elections; the shares must match the
// weights (attested 2, not attested 1).
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <vector>

#include "consensus/libraft.h"
extern "C" {
#include <raft/fixture.h>
}
#include "consensus/raft_node.h"

namespace t3n::consensus {
namespace {

constexpr unsigned kBaseMs = 1000;

int apply_nothing(raft_fsm*, const raft_buffer*, void** result) {
  *result = nullptr;
  return 0;
}

struct Race {
  std::vector<unsigned> timeouts;  // each server's T
  std::mt19937_64 rng;
  raft_fixture* f = nullptr;

  void draw(unsigned i) {
    std::uniform_int_distribution<unsigned> d(timeouts[i], 2 * timeouts[i]);
    raft_fixture_set_randomized_election_timeout(f, i, d(rng));
  }
};

// Who wins each of `rounds` fresh elections among servers with these
// attestations; the last slot counts rounds without a leader in 20 s.
std::vector<unsigned> elections(const std::vector<bool>& attested, unsigned rounds, std::uint64_t seed) {
  const unsigned n = static_cast<unsigned>(attested.size());
  std::vector<unsigned> wins(n + 1, 0);
  Race race;
  race.rng.seed(seed);
  for (bool a : attested) race.timeouts.push_back(biased_election_timeout(kBaseMs, a));
  std::vector<raft_fsm> fsms(n);
  for (auto& fsm : fsms) {
    fsm.version = 1;
    fsm.apply = &apply_nothing;
  }
  for (unsigned round = 0; round < rounds; ++round) {
    raft_fixture f{};
    EXPECT_EQ(raft_fixture_initialize(&f), 0);
    race.f = &f;
    for (unsigned i = 0; i < n; ++i) {
      EXPECT_EQ(raft_fixture_grow(&f, &fsms[i]), 0);
      raft* r = raft_fixture_get(&f, i);
      raft_set_election_timeout(r, race.timeouts[i]);
      // Timers are checked at each tick (every heartbeat timeout), and the
      // fixture ticks every server at the same instants: a fine tick keeps
      // ties (decided by server order) rare.
      raft_set_heartbeat_timeout(r, 2);
      raft_set_pre_vote(r, true);  // as the node runs
      race.draw(i);
    }
    raft_configuration conf;
    EXPECT_EQ(raft_fixture_configuration(&f, n, &conf), 0);
    EXPECT_EQ(raft_fixture_bootstrap(&f, &conf), 0);
    raft_configuration_close(&conf);
    EXPECT_EQ(raft_fixture_start(&f), 0);
    // A fresh draw after every step: whenever libraft next resets a timer
    // it gets a new uniform value, as from its own random().
    raft_fixture_hook(&f, [](raft_fixture* fx, raft_fixture_event*) {
      auto* rc = static_cast<Race*>(raft_fixture_get(fx, 0)->data);  // set below
      for (unsigned i = 0; i < rc->timeouts.size(); ++i) rc->draw(i);
    });
    raft_fixture_get(&f, 0)->data = &race;
    if (raft_fixture_step_until_has_leader(&f, 20'000)) ++wins[raft_fixture_leader_index(&f)];
    else ++wins[n];
    raft_fixture_close(&f);
  }
  return wins;
}

void report(const char* what, const std::vector<unsigned>& wins) {
  std::printf("# leader bias %s: wins", what);
  for (unsigned w : wins) std::printf(" %u", w);
  std::printf(" (last: no leader)\n");
}

double share(const std::vector<unsigned>& wins, unsigned i) {
  unsigned total = 0;
  for (unsigned k = 0; k + 1 < wins.size(); ++k) total += wins[k];
  return total == 0 ? 0.0 : static_cast<double>(wins[i]) / total;
}

TEST(LeaderBias, TheTimeoutFactorIsTheDerivedOne) {
  EXPECT_EQ(biased_election_timeout(1000, true), 1000u);
  EXPECT_EQ(biased_election_timeout(1000, false), 1131u);
  EXPECT_EQ(biased_election_timeout(300, false), 340u);  // rounded up
}

TEST(LeaderBias, OneAttestedAgainstTwoUnattestedWinsHalfTheElections) {
  const auto wins = elections({true, false, false}, 1500, 42);
  report("1 attested vs 2", wins);
  EXPECT_LT(wins[3], 15u) << "rounds without a leader";
  EXPECT_NEAR(share(wins, 0), 0.50, 0.05) << wins[0] << "/" << wins[1] << "/" << wins[2];
  EXPECT_NEAR(share(wins, 1), 0.25, 0.05);
  EXPECT_NEAR(share(wins, 2), 0.25, 0.05);
}

TEST(LeaderBias, AttestedAgainstUnattestedWinsTwoThirdsOfOneToOneRaces) {
  // Two attested, two not: each attested member is twice as likely to lead
  // as each unattested one (1/3 against 1/6).
  const auto wins = elections({true, true, false, false}, 1500, 7);
  report("2 attested vs 2", wins);
  EXPECT_LT(wins[4], 15u);
  const double attested = share(wins, 0) + share(wins, 1);
  EXPECT_NEAR(attested, 2.0 / 3.0, 0.05) << wins[0] << "/" << wins[1] << "/" << wins[2] << "/" << wins[3];
}

TEST(LeaderBias, WithEveryMemberAttestedNoneIsFavoured) {
  const auto wins = elections({true, true, true}, 1500, 3);
  report("all attested", wins);
  EXPECT_LT(wins[3], 15u);
  for (unsigned i = 0; i < 3; ++i) EXPECT_NEAR(share(wins, i), 1.0 / 3.0, 0.05) << i;
}

}  // namespace
}  // namespace t3n::consensus

#pragma once
// Collections: replicated Map, Vec, Set, Register, Once and PriorityQueue, each a Raft group
// of its own, with writer and reader types (the seed's Collections chapter;
// docs/decisions/0800).
//
//   using namespace mosaik::collections;
//   auto prices = Map<std::string, double>::writer(network, StoreId("prices"));

#include <mosaik/collections/error.hpp>
#include <mosaik/collections/map.hpp>
#include <mosaik/collections/once.hpp>
#include <mosaik/collections/options.hpp>
#include <mosaik/collections/priority_queue.hpp>
#include <mosaik/collections/register.hpp>
#include <mosaik/collections/set.hpp>
#include <mosaik/collections/store_secret.hpp>
#include <mosaik/collections/type_name.hpp>
#include <mosaik/collections/vec.hpp>
#include <mosaik/collections/version.hpp>
#include <mosaik/collections/when.hpp>

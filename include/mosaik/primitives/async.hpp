#pragma once
// The async helpers every layer above the primitives uses (Asio coroutines).
#include "mosaik/primitives/async/block_on.hpp"
#include "mosaik/primitives/async/broadcast.hpp"
#include "mosaik/primitives/async/notifier.hpp"
#include "mosaik/primitives/async/one_shot.hpp"
#include "mosaik/primitives/async/stop_signals.hpp"
#include "mosaik/primitives/async/task_group.hpp"
#include "mosaik/primitives/async/timeout.hpp"
#include "mosaik/primitives/async/watch.hpp"

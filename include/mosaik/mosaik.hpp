#pragma once
// The one include for mosaik users: every public header of the built subsystems.
#include "mosaik/primitives/async.hpp"
#include "mosaik/primitives/blake3.hpp"
#include "mosaik/primitives/digest.hpp"
#include "mosaik/primitives/format.hpp"
#include "mosaik/primitives/frame.hpp"
#include "mosaik/primitives/keys.hpp"
#include "mosaik/primitives/log.hpp"
#include "mosaik/primitives/wire.hpp"

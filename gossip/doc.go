// Package gossip is how EdgeServe nodes learn about each other without a
// central server: membership and failure detection (hashicorp/memberlist,
// SWIM), each node's state (loaded models, models being loaded, memory and
// GPU headroom, loads, queue, request rates), the model catalog, and
// predicted round-trip times.
//
// Node state travels two ways. A change is broadcast (memberlist's
// piggy-backed gossip) as the whole state when it fits one packet, else as
// a delta on top of the previous sequence number (the loading set, a few
// models at most, is whole in every state); every push/pull (a
// periodic TCP exchange with one random member) carries every node state
// the sender knows in full, which repairs a receiver that missed a delta.
// States are ordered by (epoch, seq): the epoch is the node's start time,
// so a restarted node's fresh state wins over its previous run's.
//
// The catalog is a last-writer-wins map keyed by model name and version,
// stamped with a hybrid logical clock (Kulkarni et al., "Logical Physical
// Clocks", 2014); ties go to the higher origin name. A deletion is a
// tombstone that wins over any older record and expires after a bound.
//
// Round-trip times are predicted from Vivaldi network coordinates (Dabek et
// al., SIGCOMM 2004; hashicorp/serf/coordinate), updated from the RTT of
// memberlist's own probes, whose acks carry the coordinate.
//
// Every payload is a version byte and a protobuf message (gossippb); a
// payload with an unknown version or that does not decode is dropped and
// counted, never trusted.
package gossip

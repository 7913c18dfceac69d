import Foundation
import LockstepOperations
import LockstepOutputs

/// What a run watches at each evaluation: early stopping (`training.early_stopping`) and the
/// `plateau` schedule, which multiplies the learning rate by `schedule.factor` each time its
/// metric stalls, down to `schedule.min_lr`. Their counters go into checkpoints, so a resumed
/// run stops and lowers the rate as the uninterrupted one would.
struct TrainingWatches {
    private(set) var earlyStopping: MetricWatch?
    private(set) var plateau: MetricWatch?
    private let factor: Double
    private let minimumRate: Double
    /// The plateau's multiplier of the scheduled rate so far.
    private(set) var rateScale = 1.0
    /// Why early stopping ended the run, once it did.
    private(set) var stopReason: String?

    init(earlyStopping: MetricWatch?, plateau: PlateauPolicy?) {
        self.earlyStopping = earlyStopping
        self.plateau = plateau?.watch
        factor = plateau?.factor ?? 1
        minimumRate = plateau?.minimumRate ?? 0
    }

    /// Whether anything is watched at all.
    var isActive: Bool { earlyStopping != nil || plateau != nil }

    /// Takes the values of an evaluation at `step` (the scheduled rate is `baseRate` before the
    /// plateau's scale); returns what to tell the user.
    mutating func observe(_ seen: WatchedValues, step: Int, baseRate: Double) -> [String] {
        var lines: [String] = []
        if var watch = plateau, let value = seen.values[watch.metric] {
            if watch.observe(value) {
                let before = baseRate * rateScale
                let after = max(before * factor, minimumRate)
                if after < before {
                    rateScale = after / baseRate
                    lines.append(String(format: "lockstep: step %d: %@ did not improve for %d evaluation(s) (best %.4g): learning rate %.4g -> %.4g",
                                        step, watch.metric.rawValue, watch.waited, watch.best ?? .nan, before, after))
                }
                watch.restartCount()
            }
            plateau = watch
        }
        if var watch = earlyStopping, let value = seen.values[watch.metric] {
            if watch.observe(value) {
                stopReason = String(format: "early stopping at step %d: %@ did not improve by more than %g for %d evaluation(s); best %.4g",
                                    step, watch.metric.rawValue, watch.minDelta, watch.waited, watch.best ?? .nan)
            }
            earlyStopping = watch
        }
        return lines
    }

    /// The counters a checkpoint keeps.
    var state: [String: Double] {
        var s: [String: Double] = [:]
        if let earlyStopping { s.merge(earlyStopping.state(prefix: "watch.early_stopping")) { $1 } }
        if let plateau { s.merge(plateau.state(prefix: "watch.plateau")) { $1 }; s["watch.plateau.rate_scale"] = rateScale }
        return s
    }

    /// Restores the counters of a checkpoint's `state`.
    mutating func restore(_ state: [String: Double]) {
        earlyStopping?.restore(state, prefix: "watch.early_stopping")
        plateau?.restore(state, prefix: "watch.plateau")
        rateScale = state["watch.plateau.rate_scale"] ?? 1
    }
}

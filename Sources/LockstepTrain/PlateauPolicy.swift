/// Keras's `ReduceLROnPlateau`: each time `watch` runs out of patience the learning rate is
/// multiplied by `factor`, down to `minimumRate` (a recipe's `schedule: plateau`).
public struct PlateauPolicy: Sendable {
    public var watch: MetricWatch
    public var factor: Double
    public var minimumRate: Double

    public init(watch: MetricWatch, factor: Double = 0.1, minimumRate: Double = 0) {
        self.watch = watch
        self.factor = factor
        self.minimumRate = minimumRate
    }
}

import LockstepData

/// What `lockstep predict` runs the model on.
public enum PredictionInputs {
    /// A sharded dataset (its labels are known), with the images' file names when a
    /// `NAME.files.txt` lies beside the manifest.
    case shards(ShardSet, files: [String]?)
    /// Image files, each decoded, brought to the training images' size (`fit`) and channels,
    /// then preprocessed as the recipe says.
    case images([String], height: Int, width: Int, channels: Int, fit: ImageFit)

    public var count: Int {
        switch self {
        case .shards(let set, _): set.count
        case .images(let paths, _, _, _, _): paths.count
        }
    }
}

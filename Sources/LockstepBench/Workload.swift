import LockstepModels
import LockstepOptimizers
import LockstepTensor

/// The benchmark suite's workloads, defined as in the PyTorch reference harness
/// (launch/bench_reference.py) so the two measure the same work.
public enum Workload: String, CaseIterable, Sendable {
    /// MLP 784-512-256-10 on Fashion-MNIST, SGD momentum.
    case w1 = "W1"
    /// LeNet-5 on Fashion-MNIST, Adam.
    case w2 = "W2"
    /// ResNet-18 with the CIFAR stem on random 3×32×32, SGD momentum.
    case w3 = "W3"
    /// VGG-16 (torchvision layout, 10-class head) fine-tuned on random 3×64×64.
    case w4 = "W4"
    /// W4 with the convolutional features frozen (head-only fine-tuning).
    case w4Frozen = "W4-frozen"
    /// Gradient allreduce of 4 KB … 100 MB vs raw MPI_Allreduce.
    case w5 = "W5"
    /// HDF5 random and sequential minibatch reads of Fashion-MNIST shards.
    case w6 = "W6"
    /// Start-up: time to the first step and bytes hashed and read per rank, on a synthetic
    /// dataset of a few GB in many shards (cold, warm cache, forced); VGG-16's build,
    /// broadcast and weight-file read.
    case w7 = "W7"
    /// LSTM(128) over the 28 rows of each Fashion-MNIST image, then Linear(128, 10); Adam
    /// (examples/fashion-mnist-lstm.yaml).
    case w8 = "W8"
    /// A Transformer encoder (2 pre-norm blocks, width 64, 4 heads, feed-forward 256, dropout
    /// 0.1, [CLS] token, sinusoidal positions) over random sequences of 32 steps × 16
    /// features, projected to 64; Adam.
    case w9 = "W9"
    /// `lockstep train` end to end on Fashion-MNIST shards, W1's MLP and W2's LeNet-5 (two
    /// reports): whole-run throughput, the loop's against the benchmark loop's, data wait.
    case w10 = "W10"

    /// A training workload's fixed settings.
    public struct Training: Sendable {
        public let model: ModelSpec
        /// Per-sample input shape; `fashionMNIST` reads the real dataset, otherwise random data.
        public let inputShape: [Int]
        public let fashionMNIST: Bool
        public let batchPerRank: Int
        public let warmupSteps: Int
        public let timedSteps: Int
        /// The parameters frozen (W4-frozen: the features).
        public let freeze: ParameterSelection
        public let makeOptimizer: @Sendable () -> any Optimizer
    }

    /// The settings of W1–W4; nil for W5 and W6, which are not training loops.
    public var training: Training? {
        switch self {
        case .w1:
            return Training(model: ModelSpec(name: "mlp", hidden: [512, 256]), inputShape: [1, 28, 28], fashionMNIST: true,
                            batchPerRank: 128, warmupSteps: 20, timedSteps: 200, freeze: ParameterSelection([]),
                            makeOptimizer: { SGD(learningRate: 0.05, momentum: 0.9) })
        case .w2:
            return Training(model: ModelSpec(name: "lenet5"), inputShape: [1, 28, 28], fashionMNIST: true,
                            batchPerRank: 128, warmupSteps: 10, timedSteps: 100, freeze: ParameterSelection([]),
                            makeOptimizer: { Adam(learningRate: 1e-3) })
        case .w3:
            return Training(model: ModelSpec(name: "resnet18", stem: .cifar), inputShape: [3, 32, 32], fashionMNIST: false,
                            batchPerRank: 32, warmupSteps: 3, timedSteps: 10, freeze: ParameterSelection([]),
                            makeOptimizer: { SGD(learningRate: 0.01, momentum: 0.9) })
        case .w4, .w4Frozen:
            return Training(model: ModelSpec(name: "vgg16"), inputShape: [3, 64, 64], fashionMNIST: false,
                            batchPerRank: 8, warmupSteps: 2, timedSteps: 5, freeze: ParameterSelection(self == .w4Frozen ? ["features.*"] : []),
                            makeOptimizer: { SGD(learningRate: 0.001, momentum: 0.9) })
        case .w8:
            return Training(model: ModelSpec(name: "lstm", hidden: [128]), inputShape: [1, 28, 28], fashionMNIST: true,
                            batchPerRank: 128, warmupSteps: 5, timedSteps: 40, freeze: ParameterSelection([]),
                            makeOptimizer: { Adam(learningRate: 2e-3) })
        case .w9:
            var transformer = TransformerSpec()
            transformer.dimension = 64
            transformer.heads = 4
            return Training(model: ModelSpec(name: "transformer", dropout: 0.1, layers: 2, transformer: transformer), inputShape: [32, 16],
                            fashionMNIST: false, batchPerRank: 64, warmupSteps: 5, timedSteps: 40, freeze: ParameterSelection([]),
                            makeOptimizer: { Adam(learningRate: 1e-3) })
        case .w5, .w6, .w7, .w10:
            return nil
        }
    }
}

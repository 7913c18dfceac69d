import LockstepNN
import LockstepTensor

/// LeNet-5 (LeCun et al. 1998) in its modern form for 28×28 inputs, as the benchmark's W2:
/// conv5×5(6, pad 2)–ReLU–maxpool2, conv5×5(16)–ReLU–maxpool2, flatten, dense 120–ReLU,
/// dense 84–ReLU, dense `classes`. Names follow the equivalent `nn.Sequential`
/// (`0.weight`, `3.weight`, `7.weight`, `9.weight`, `11.weight`).
public enum LeNet {
    public static func make(classes: Int, activation: String = "relu") throws -> Sequential {
        Sequential([
            Conv2D(outChannels: 6, kernel: 5, padding: 2), try Activations.make(activation), MaxPool2D(kernel: 2),
            Conv2D(outChannels: 16, kernel: 5), try Activations.make(activation), MaxPool2D(kernel: 2),
            Flatten(),
            Dense(outputSize: 120, weightInitializer: .heNormal), try Activations.make(activation),
            Dense(outputSize: 84, weightInitializer: .heNormal), try Activations.make(activation),
            Dense(outputSize: classes),
        ])
    }
}

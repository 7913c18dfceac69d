import LockstepNN
import LockstepTensor

/// A convolutional autoencoder: an encoder from the image to a dense code, and a decoder back
/// to an image of the input's shape whose pixels are probabilities (a final sigmoid), trained
/// to reproduce its input (`bce` or `mse` against the input itself).
///
///     encoder: Conv(C→a, 3, /2) ReLU, Conv(a→b, 3, /2) ReLU, Flatten, Linear(b·H/4·W/4 → code)
///     decoder: Linear(code → b·H/4·W/4) ReLU, Unflatten, ConvT(b→a, 3, ×2) ReLU, ConvT(a→C, 3, ×2) Sigmoid
///
/// Names are a PyTorch module's with `encoder` and `decoder` nn.Sequential attributes of those
/// layers (`encoder.0.weight`, `decoder.3.weight`, …). H and W must be multiples of 4.
public enum Autoencoder {
    public static func make(inputShape: [Int], widths: [Int], code: Int) throws -> Sequential {
        guard inputShape.count == 3, inputShape[1] % 4 == 0, inputShape[2] % 4 == 0, inputShape.allSatisfy({ $0 > 0 }) else {
            throw LayerError(kind: "Autoencoder", message: "needs images [C, H, W] with H and W multiples of 4, got \(inputShape)")
        }
        guard widths.count == 2, widths.allSatisfy({ $0 > 0 }), code > 0 else {
            throw LayerError(kind: "Autoencoder", message: "model.widths must be 2 positive channel counts and model.code positive, got \(widths) and \(code)")
        }
        let (c, a, b) = (inputShape[0], widths[0], widths[1]), (h, w) = (inputShape[1] / 4, inputShape[2] / 4)
        func linear(_ inputs: Int, _ outputs: Int) -> Dense {
            Dense(outputSize: outputs, weightInitializer: .uniform(bound: 1 / Float(inputs).squareRoot()))
        }
        let encoder = Sequential([Conv2D(outChannels: a, kernel: 3, stride: 2, padding: 1), ReLU(),
                                  Conv2D(outChannels: b, kernel: 3, stride: 2, padding: 1), ReLU(), Flatten(), linear(b * h * w, code)])
        let decoder = Sequential([linear(code, b * h * w), ReLU(), Reshape([b, h, w]),
                                  ConvTranspose2D(outChannels: a, kernel: 3, stride: 2, padding: 1, outputPadding: 1), ReLU(),
                                  ConvTranspose2D(outChannels: c, kernel: 3, stride: 2, padding: 1, outputPadding: 1), Sigmoid()])
        return Sequential(named: [("encoder", encoder), ("decoder", decoder)])
    }
}

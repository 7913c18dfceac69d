import Lockstep
import LockstepDistributed
import LockstepNN
import LockstepTensor
import LockstepTestSupport
import XCTest

/// One step of a small DCGAN against PyTorch's (Tests/Fixtures/make_library_fixtures.py): the
/// discriminator's gradient is the sum of its real and generated passes (accumulated), the
/// generator's flows back through the discriminator's input.
final class GANStepTests: XCTestCase {
    func testGradientsMatchPyTorch() throws {
        let c = try TorchCase("gan_step", file: "torch_library.h5")
        let generator = try Model(inputShape: [4], root: Sequential {
            Dense(outputSize: 8 * 7 * 7)
            Reshape([8, 7, 7])
            BatchNorm()
            ReLU()
            ConvTranspose2D(outChannels: 4, kernel: 4, stride: 2, padding: 1)
            BatchNorm()
            ReLU()
            ConvTranspose2D(outChannels: 1, kernel: 4, stride: 2, padding: 1)
            Activation(TanhFunction())
        })
        let discriminator = try Model(inputShape: [1, 28, 28], root: Sequential {
            Conv2D(outChannels: 4, kernel: 4, stride: 2, padding: 1)
            Activation(LeakyReLUFunction(slope: 0.2))
            Conv2D(outChannels: 8, kernel: 4, stride: 2, padding: 1)
            BatchNorm()
            Activation(LeakyReLUFunction(slope: 0.2))
            Flatten()
            Dense(outputSize: 1)
        })
        for (prefix, model) in [("generator", generator), ("discriminator", discriminator)] {
            for p in model.parameters { p.value.copy(from: try c.tensor("\(prefix).\(p.name)")) }
        }
        // Synchronized BatchNorm on one rank is the plain one: the fixture checks both paths' arithmetic.
        let g = try DataParallel(generator, communicator: LocalCommunicator(), synchronizesBatchNorm: true)
        let d = try DataParallel(discriminator, communicator: LocalCommunicator(), synchronizesBatchNorm: true)
        let ones = Tensor(shape: [3, 1]), zeros = Tensor(shape: [3, 1])
        ones.fill(1)
        let loss = BinaryCrossEntropy(), context = ForwardContext(training: true)

        let fake = g.forward(try c.tensor("z"), context)
        assertClose(fake.toArray(), try c.values("fake"), "generated images")
        var lossD = try loss.forward(d.forward(try c.tensor("real"), context), .values(ones))
        try d.backward(loss.backward(), reduce: false)
        lossD += try loss.forward(d.forward(fake, context), .values(zeros))
        try d.backward(loss.backward(), accumulate: true)
        try d.synchronize()
        assertClose([lossD], try c.values("loss_discriminator"), "discriminator loss")
        for p in discriminator.parameters {
            assertClose(p.gradient.toArray(), try c.values("grad_discriminator.\(p.name)"), "discriminator grad \(p.name)")
        }

        let lossG = try loss.forward(d.forward(fake, context), .values(ones))
        let fakeGradient = try XCTUnwrap(try d.backward(loss.backward(), needsInputGradient: true, reduce: false))
        try g.backward(fakeGradient)
        try g.synchronize()
        assertClose([lossG], try c.values("loss_generator"), "generator loss")
        for p in generator.parameters {
            assertClose(p.gradient.toArray(), try c.values("grad_generator.\(p.name)"), "generator grad \(p.name)")
        }
    }
}

import ArgumentParser
import Foundation
import LockstepModels

/// `lockstep compare A.h5 B.h5 [--rtol R]`.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compare the parameters of two weight files.",
        discussion: """
            For each parameter, the relative difference is ‖a − b‖₂ / ‖b‖₂. Exits 0 when names and \
            shapes agree and every relative difference is ≤ --rtol, 1 otherwise.
            """)

    @Argument(help: "First weights file.") var first: String
    @Argument(help: "Second weights file (the reference).") var second: String
    @Option(help: "Largest accepted relative difference per parameter.") var rtol: Double = 1e-5

    func run() throws {
        do {
            let a = try ModelWeights.read(first), b = Dictionary(try ModelWeights.read(second).map { ($0.name, $0) }, uniquingKeysWith: { x, _ in x })
            var worst = (name: "", rel: 0.0, maxAbs: 0.0)
            var problems: [String] = []
            for p in a {
                guard let q = b[p.name] else { problems.append("\(p.name) only in \(first)"); continue }
                guard p.shape == q.shape else { problems.append("\(p.name): \(p.shape) vs \(q.shape)"); continue }
                var diff = 0.0, norm = 0.0, maxAbs = 0.0
                for (x, y) in zip(p.values, q.values) {
                    let d = Double(x) - Double(y)
                    diff += d * d
                    norm += Double(y) * Double(y)
                    maxAbs = max(maxAbs, abs(d))
                }
                let rel = diff.squareRoot() / max(norm.squareRoot(), 1e-30)
                if rel > worst.rel || worst.name.isEmpty { worst = (p.name, rel, maxAbs) }
            }
            for name in b.keys where !a.contains(where: { $0.name == name }) { problems.append("\(name) only in \(second)") }
            print(String(format: "%d parameters compared; largest relative difference %.3e (%@, max abs %.3e)", a.count, worst.rel,
                         worst.name, worst.maxAbs))
            if !problems.isEmpty {
                print("mismatch: " + problems.joined(separator: "; "))
                throw ExitCode(1)
            }
            if worst.rel > rtol {
                print(String(format: "relative difference %.3e exceeds --rtol %.1e", worst.rel, rtol))
                throw ExitCode(1)
            }
        } catch let e as ExitCode {
            throw e
        } catch {
            print("lockstep compare: error: \(error)")
            throw ExitCode(1)
        }
    }
}

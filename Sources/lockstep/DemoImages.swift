import ArgumentParser
import LockstepData

/// `lockstep demo-images DIR`: a small class-per-folder image set to try the image pipeline on.
struct DemoImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-images",
        abstract: "Write a small image folder (disc/ring/square/triangle, JPEG and PNG) to try `lockstep shard images` on.")

    @Argument(help: "Folder to write (DIR/<class>/*.jpg|png).")
    var folder: String

    @Option(name: .customLong("per-class"), help: "Images per class.")
    var perClass: Int = 40

    @Option(help: "Side of the square images, in pixels.")
    var size: Int = 48

    @Option(help: "Seed (the same seed writes the same files).")
    var seed: UInt64 = 1

    func validate() throws {
        guard perClass >= 1 else { throw ValidationError("--per-class must be at least 1, got \(perClass)") }
        guard size >= 8 else { throw ValidationError("--size must be at least 8, got \(size)") }
    }

    func run() throws {
        do {
            let n = try DemoImages.write(to: folder, perClass: perClass, size: size, seed: seed)
            print("wrote \(n) images in \(DemoImages.classes.count) classes under \(folder)")
        } catch {
            print("lockstep demo-images: error: \(error)")
            throw ExitCode(1)
        }
    }
}

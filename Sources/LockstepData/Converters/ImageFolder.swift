import Foundation

/// A folder of images, one subfolder per class, as Keras's `image_dataset_from_directory` and
/// torchvision's `ImageFolder` read it: `DIR/<class>/…/*.jpg|jpeg|png`, or split beforehand as
/// `DIR/train/<class>/…` and `DIR/test/<class>/…` (`val` or `validation` for test also works).
///
/// Classes are the subfolder names in sorted order (label i is the i-th name); each class's
/// images are found recursively and sorted by path, so the same folder always gives the same
/// samples in the same order. Hidden files and folders are skipped; other files are counted.
public struct ImageFolder: Sendable {
    /// One image: its path relative to the folder and its label.
    public struct Item: Sendable, Equatable {
        public var path: String
        public var label: Int32
    }

    public let root: String
    public let classes: [String]
    /// The training images, and the test images of a split folder (nil when not split).
    public let train: [Item]
    public let test: [Item]?
    /// Files that are not .jpg, .jpeg or .png, left out.
    public let ignored: Int

    public static let extensions: Set<String> = ["jpg", "jpeg", "png"]

    /// Scans `root`; errors name the folder and what is missing.
    public init(_ root: String) throws {
        self.root = root
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
            throw DataError("\(root): no such folder (expected one subfolder of images per class)")
        }
        let top = try Self.subfolders(root)
        let testName = ["test", "val", "validation"].first(where: top.contains)
        var ignored = 0
        if top.contains("train"), let testName {
            let names = try Self.subfolders(root + "/train")
            guard !names.isEmpty else { throw DataError("\(root)/train: no class subfolders") }
            classes = names
            train = try Self.items(root, split: "train", classes: names, ignored: &ignored)
            let testClasses = try Self.subfolders(root + "/" + testName)
            if let extra = testClasses.first(where: { !names.contains($0) }) {
                throw DataError("\(root)/\(testName)/\(extra): a class that \(root)/train does not have (classes there: \(classes.joined(separator: ", ")))")
            }
            test = try Self.items(root, split: testName, classes: classes, requireAll: false, ignored: &ignored)
        } else {
            classes = top
            guard !classes.isEmpty else {
                throw DataError("\(root): no class subfolders (expected \(root)/<class>/*.jpg, or train/ and test/ folders of classes)")
            }
            train = try Self.items(root, split: nil, classes: classes, ignored: &ignored)
            test = nil
        }
        self.ignored = ignored
    }

    /// Non-hidden subfolders, sorted.
    static func subfolders(_ dir: String) throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw DataError("\(dir): cannot list the folder (\(error.localizedDescription))")
        }
        return names.filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: dir + "/" + name, isDirectory: &isDir) && isDir.boolValue
        }.sorted()
    }

    /// Every class's images, in class order then path order; a class without images is an
    /// error in training data (its label would never be seen).
    static func items(_ root: String, split: String?, classes: [String], requireAll: Bool = true, ignored: inout Int) throws -> [Item] {
        var result: [Item] = []
        for (label, name) in classes.enumerated() {
            let relative = (split.map { $0 + "/" } ?? "") + name
            guard let walker = FileManager.default.enumerator(atPath: root + "/" + relative) else {
                if requireAll { throw DataError("\(root)/\(relative): cannot list the folder") }
                continue
            }
            var files: [String] = []
            while let entry = walker.nextObject() as? String {
                let base = (entry as NSString).lastPathComponent
                if base.hasPrefix(".") {
                    if walker.fileAttributes?[.type] as? FileAttributeType == .typeDirectory { walker.skipDescendants() }
                    continue
                }
                guard walker.fileAttributes?[.type] as? FileAttributeType != .typeDirectory else { continue }
                if extensions.contains((entry as NSString).pathExtension.lowercased()) {
                    files.append(relative + "/" + entry)
                } else {
                    ignored += 1
                }
            }
            if files.isEmpty && requireAll {
                throw DataError("\(root)/\(relative): class \"\(name)\" has no .jpg, .jpeg or .png images")
            }
            result += files.sorted().map { Item(path: $0, label: Int32(label)) }
        }
        return result
    }

    /// Splits the training images: `fraction` of each class goes to test, chosen by a seeded
    /// hash of each path, so the choice is the same on every run and a file keeps its side
    /// when others are added. Both parts keep the class-then-path order.
    public func split(testFraction fraction: Double, seed: UInt64) -> (train: [Item], test: [Item]) {
        var train: [Item] = [], test: [Item] = []
        for label in classes.indices {
            let members = self.train.filter { $0.label == Int32(label) }
            let ranked = members.sorted { Self.hash($0.path, seed) < Self.hash($1.path, seed) }
            let held = Set(ranked.prefix(Int((Double(members.count) * fraction).rounded())).map(\.path))
            for item in members { if held.contains(item.path) { test.append(item) } else { train.append(item) } }
        }
        return (train, test)
    }

    /// FNV-1a over the path's bytes, then the seed mixed in.
    static func hash(_ path: String, _ seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for byte in path.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return h
    }
}

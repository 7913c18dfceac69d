import Foundation
import LockstepData
import LockstepHDF5
import LockstepTestSupport
import XCTest

/// `lockstep shard images | arrays | cifar10` converters, read back through ShardSet.
final class ConverterTests: XCTestCase {
    var dir = ""

    override func setUp() { dir = temporaryDirectory() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// Raw values of the samples at `indices` as the model sees them (NCHW, no normalization).
    func read(_ manifest: String, _ indices: [Int]) throws -> (values: [Float], labels: [Int32], set: ShardSet) {
        let set = try ShardSet(manifestPath: manifest)
        var out = [Float](repeating: 0, count: indices.count * set.sampleSize)
        let labels = try set.read(indices, into: &out, normalization: Normalization())
        return (out, labels, set)
    }

    func testImageFolderSplitsPerClassAndKeepsPaths() throws {
        try DemoImages.write(to: dir + "/photos", perClass: 10, size: 20)
        var options = ImageFolderOptions()
        options.size = (16, 16)
        options.shards = 3
        options.testFraction = 0.2
        let report = try DatasetConverter.imageFolder(source: dir + "/photos", output: dir + "/data", name: "photos", options: options)
        XCTAssertEqual(report.written, 40)
        let train = try ShardManifest.load(dir + "/data/photos-train.manifest.json")
        let test = try ShardManifest.load(dir + "/data/photos-test.manifest.json")
        XCTAssertEqual([train.numSamples, test.numSamples], [32, 8], "2 of each class's 10 held out")
        XCTAssertEqual(train.labelNames, ["disc", "ring", "square", "triangle"])
        XCTAssertEqual(train.sampleShape, [16, 16, 3])
        let files = try String(contentsOfFile: dir + "/data/photos-test.files.txt", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(files.count, 8)
        let (_, labels, _) = try read(dir + "/data/photos-test.manifest.json", Array(0..<8))
        XCTAssertEqual(labels, files.map { Int32(DemoImages.classes.firstIndex(of: String($0.split(separator: "/")[0]))!) },
                       "each sample's label is its file's folder")
        // The split depends on each file's name, not on which other files exist: with a disc
        // image gone, the other classes' test files are the same ones.
        try FileManager.default.removeItem(atPath: dir + "/photos/disc/disc-0000.jpg")
        let after = try ImageFolder(dir + "/photos").split(testFraction: 0.2, seed: 1).test.filter { $0.label != 0 }.map(\.path)
        XCTAssertEqual(after, files.filter { !$0.hasPrefix("disc/") }.map(String.init))
    }

    func testImagePixelsArriveAsDecoded() throws {
        // One grey 6×4 PNG per class: the shard holds the same bytes, replicated to 3 channels.
        for c in ["a", "b"] {
            try FileManager.default.createDirectory(atPath: "\(dir)/set/\(c)", withIntermediateDirectories: true)
            let image = Image(width: 6, height: 4, channels: 1, pixels: (0..<24).map { UInt8($0 * 10 + (c == "a" ? 0 : 1)) })
            try image.write(to: "\(dir)/set/\(c)/one.png")
            try image.write(to: "\(dir)/set/\(c)/two.png")
        }
        var options = ImageFolderOptions()
        options.testFraction = 0
        _ = try DatasetConverter.imageFolder(source: dir + "/set", output: dir + "/data", name: "set", options: options)
        let (values, labels, set) = try read(dir + "/data/set-train.manifest.json", [2])
        XCTAssertEqual(set.sampleShape, [3, 4, 6])
        XCTAssertEqual(labels, [1])
        XCTAssertEqual(Array(values[0..<24]), (0..<24).map { Float($0 * 10 + 1) })
        XCTAssertEqual(Array(values[24..<48]), Array(values[0..<24]), "grey replicated to the green plane")
    }

    func testBadImagesStopOrAreSkipped() throws {
        try DemoImages.write(to: dir + "/photos", perClass: 5, size: 16)
        let bad = dir + "/photos/ring/ring-0002.jpg"
        try Data("not a picture".utf8).write(to: URL(fileURLWithPath: bad))
        var options = ImageFolderOptions()
        options.testFraction = 0
        XCTAssertThrowsError(try DatasetConverter.imageFolder(source: dir + "/photos", output: dir + "/d1", name: "p", options: options)) {
            XCTAssertTrue("\($0)".hasPrefix(bad + ": not a JPEG or PNG") && "\($0)".contains("--skip-bad"), "\($0)")
        }
        options.skipBad = true
        let report = try DatasetConverter.imageFolder(source: dir + "/photos", output: dir + "/d2", name: "p", options: options)
        XCTAssertEqual(report.written, 19)
        XCTAssertEqual(report.skipped.map(\.path), [bad])
        XCTAssertEqual(try ShardManifest.load(dir + "/d2/p-train.manifest.json").numSamples, 19)
    }

    func testImageFolderErrorsNameTheFolder() throws {
        XCTAssertThrowsError(try ImageFolder(dir + "/nothing")) { XCTAssertTrue("\($0)".contains("no such folder"), "\($0)") }
        try FileManager.default.createDirectory(atPath: dir + "/f/empty", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder(dir + "/f")) {
            XCTAssertTrue("\($0)".contains("/f/empty: class \"empty\" has no .jpg"), "\($0)")
        }
        // Sizes differ and no --size: named, with the way out.
        try Image(width: 4, height: 4, channels: 3, pixels: .init(repeating: 9, count: 48)).write(to: dir + "/f/empty/a.png")
        try Image(width: 5, height: 4, channels: 3, pixels: .init(repeating: 9, count: 60)).write(to: dir + "/f/empty/b.png")
        var options = ImageFolderOptions()
        options.testFraction = 0
        XCTAssertThrowsError(try DatasetConverter.imageFolder(source: dir + "/f", output: dir + "/d", name: "f", options: options)) {
            XCTAssertTrue("\($0)".contains("b.png: 4×5 pixels, but the first image is 4×4; give --size"), "\($0)")
        }
    }

    func testTrainTestFolders() throws {
        try DemoImages.write(to: dir + "/s/train", perClass: 3, size: 12)
        try DemoImages.write(to: dir + "/s/test", perClass: 2, size: 12, seed: 9)
        try FileManager.default.removeItem(atPath: dir + "/s/test/ring")
        let folder = try ImageFolder(dir + "/s")
        XCTAssertEqual(folder.classes, DemoImages.classes)
        XCTAssertEqual(folder.train.count, 12)
        XCTAssertEqual(folder.test?.map(\.label), [0, 0, 2, 2, 3, 3], "a class missing from test/ keeps its label elsewhere")
        try FileManager.default.createDirectory(atPath: dir + "/s/test/star", withIntermediateDirectories: true)
        XCTAssertThrowsError(try ImageFolder(dir + "/s")) { XCTAssertTrue("\($0)".contains("test/star: a class that"), "\($0)") }
    }

    func testNumpyArraysNHWCAndNCHW() throws {
        var options = ArrayShardOptions()
        options.testFraction = 0
        options.shards = 2
        _ = try DatasetConverter.arrays(inputs: .open(fixturePath("arrays/x_u8.npy")), labels: .open(fixturePath("arrays/y_i64.npy")),
                                        testInputs: nil, testLabels: nil, output: dir, name: "u8", options: options)
        let (u8, labels, set) = try read(dir + "/u8-train.manifest.json", [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(set.manifest.dtype, "uint8")
        XCTAssertEqual(labels, [0, 1, 2, 0, 1, 2])
        // NCHW as read: sample 5, channel 1, row 3, column 2 = (5·24 + 3·6 + 2·2 + 1) % 256.
        XCTAssertEqual(u8[5 * 24 + 1 * 12 + 3 * 3 + 2], Float((5 * 24 + 3 * 6 + 2 * 2 + 1) % 256))
        options.channelsFirst = true
        _ = try DatasetConverter.arrays(inputs: .open(fixturePath("arrays/x_f8_nchw.npy")), labels: .open(fixturePath("arrays/y_onehot.npy")),
                                        testInputs: nil, testLabels: nil, output: dir, name: "f", options: options)
        let (f, flabels, fset) = try read(dir + "/f-train.manifest.json", [4])
        XCTAssertEqual([fset.manifest.dtype, "\(fset.manifest.sampleShape)"], ["float32", "[4, 3, 2]"])
        XCTAssertEqual(flabels, [1], "one-hot row 4 is class 1")
        XCTAssertEqual(f[1 * 12 + 3 * 3 + 2], Float(4 + 0.1 + 0.03 + 0.002), accuracy: 1e-6)
    }

    /// Every .npy numpy writes (either byte order, C or Fortran order) and .npz archives, stored
    /// or deflated, give the values numpy holds (make_format_fixtures.py, make_array_fixtures.py).
    func testByteOrdersFortranOrderAndArchives() throws {
        func x(_ n: Int, _ h: Int, _ w: Int) -> Int { (n * 31 + h * 7 + w * 3) % 256 }
        let expected = (0..<5).flatMap { n in (0..<4).flatMap { h in (0..<6).map { w in x(n, h, w) } } }
        let be = try NumpyArray(fixturePath("arrays/x_be_f4.npy"))
        XCTAssertTrue(be.isBigEndian)
        XCTAssertEqual(be.floats(rows: 0..<5), expected.map { Float($0) / 8 })
        XCTAssertEqual(be.floats(rows: 3..<4), Array(expected[72..<96]).map { Float($0) / 8 }, "one row from the middle")
        let fortran = try NumpyArray(fixturePath("arrays/x_fortran_be_i2.npy"))
        XCTAssertTrue(fortran.isFortranOrder && fortran.isBigEndian)
        XCTAssertEqual(fortran.floats(rows: 1..<4), Array(expected[24..<96]).map { Float($0 * 100 - 9000) })
        let f = try NumpyArray(fixturePath("arrays/x_fortran.npy"))  // float64 [6, 4, 3], Fortran: x[n, h, w] = n + h/100 + w/1000
        var sample5: [Float] = []
        for h in 0..<4 { for w in 0..<3 { sample5.append(Float(5.0 + Double(h) / 100 + Double(w) / 1000)) } }
        XCTAssertEqual(f.floats(rows: 5..<6), sample5)
        for archive in ["xy.npz", "xy_compressed.npz"] {
            guard case .numpy(let xs) = try ArraySource.open(fixturePath("arrays/" + archive) + ":x"),
                  case .numpy(let ys) = try ArraySource.open(fixturePath("arrays/" + archive) + ":y.npy") else { return XCTFail(archive) }
            XCTAssertEqual([xs.shape, ys.shape], [[5, 4, 6], [5]], archive)
            XCTAssertEqual(xs.bytes(rows: 0..<5), expected.map(UInt8.init), archive)
            XCTAssertEqual(ys.floats(rows: 0..<5), [0, 1, 2, 0, 1], archive)
        }
        // Fortran-ordered bytes shard as numpy reads them: sample 2 of the uint8 Fortran copy.
        var options = ArrayShardOptions()
        options.testFraction = 0
        _ = try DatasetConverter.arrays(inputs: .open(fixturePath("arrays/xy_compressed.npz") + ":x"),
                                        labels: .open(fixturePath("arrays/xy.npz") + ":y"),
                                        testInputs: nil, testLabels: nil, output: dir, name: "npz", options: options)
        let (pixels, labels, _) = try read(dir + "/npz-train.manifest.json", [2])
        XCTAssertEqual(labels, [2])
        XCTAssertEqual(pixels, Array(expected[48..<72]).map(Float.init))
    }

    func testArrayErrors() throws {
        XCTAssertThrowsError(try ArraySource.open(fixturePath("images/rgb.png"))) { XCTAssertTrue("\($0)".contains("FILE.h5:DATASET"), "\($0)") }
        XCTAssertThrowsError(try ArraySource.open(fixturePath("arrays/xy.npz"))) {
            XCTAssertTrue("\($0)".contains("xy.npz: name the array in the archive, as \(fixturePath("arrays/xy.npz")):x (it holds x, y)"), "\($0)")
        }
        XCTAssertThrowsError(try ArraySource.open(fixturePath("arrays/xy.npz") + ":z")) {
            XCTAssertTrue("\($0)".contains("no array \"z\" in the archive (it holds x, y)"), "\($0)")
        }
        XCTAssertThrowsError(try ArraySource.open(fixturePath("arrays/x_u8.npy").replacingOccurrences(of: ".npy", with: ".npz") + ":x")) {
            XCTAssertTrue("\($0)".contains("cannot read the file"), "\($0)")
        }
        // An archive whose compressed bytes were damaged: the CRC or zlib says so, never garbage.
        var damaged = try Data(contentsOf: URL(fileURLWithPath: fixturePath("arrays/xy_compressed.npz")))
        damaged[80] ^= 0x5A
        try damaged.write(to: URL(fileURLWithPath: dir + "/damaged.npz"))
        XCTAssertThrowsError(try ArraySource.open(dir + "/damaged.npz:x")) {
            XCTAssertTrue("\($0)".contains("damaged.npz:x: ") && "\($0)".contains("damaged"), "\($0)")
        }
        try Data(damaged.prefix(300)).write(to: URL(fileURLWithPath: dir + "/cut.npz"))
        XCTAssertThrowsError(try ArraySource.open(dir + "/cut.npz:x")) { XCTAssertTrue("\($0)".contains("not a .npz archive"), "\($0)") }
        let short = dir + "/short.npy"
        try Data(Data(contentsOf: URL(fileURLWithPath: fixturePath("arrays/x_u8.npy"))).prefix(200)).write(to: URL(fileURLWithPath: short))
        XCTAssertThrowsError(try ArraySource.open(short)) { XCTAssertTrue("\($0)".contains("truncated"), "\($0)") }
        XCTAssertThrowsError(try DatasetConverter.arrays(inputs: .open(fixturePath("arrays/x_u8.npy")), labels: .open(fixturePath("arrays/x_f8_nchw.npy")),
                                                         testInputs: nil, testLabels: nil, output: dir, name: "x", options: .init())) {
            XCTAssertTrue("\($0)".contains("expected [N] class ids or [N, K] one-hot"), "\($0)")
        }
    }

    /// Sequences [N, T, F] and token ids [N, T] from HDF5 arrays: stored as they are, read
    /// without transposition, token ids never normalized, and a fractional id refused.
    func testSequenceAndTokenArrays() throws {
        let file = dir + "/seq.h5"
        let x = (0..<(6 * 5 * 3)).map { Float($0) / 10 }, ids = (0..<30).map { Float($0 % 7) }
        try HDF5File.writeAtomically(to: file) { f in
            _ = try f.write("x", x, shape: [6, 5, 3])
            _ = try f.write("ids", ids, shape: [6, 5])
            _ = try f.write("bad", ids.enumerated().map { $0.offset == 13 ? 2.5 : $0.element }, shape: [6, 5])
            _ = try f.write("y", [Int64](repeating: 1, count: 6), shape: [6])
        }
        var options = ArrayShardOptions()
        options.testFraction = 0
        options.sequences = true
        _ = try DatasetConverter.arrays(inputs: .open(file + ":x"), labels: .open(file + ":y"), testInputs: nil, testLabels: nil,
                                        output: dir, name: "seq", options: options)
        let (values, _, set) = try read(dir + "/seq-train.manifest.json", [2])
        XCTAssertEqual([set.manifest.inputDataset, set.manifest.layout, "\(set.sampleShape)"], ["sequences", "NTF", "[5, 3]"])
        XCTAssertEqual(values, Array(x[30..<45]), "sample 2 as stored, time-major")
        // One mean and std per feature, the layout kept: x[t, f] = (v − mean[f]) / std[f].
        var normalized = [Float](repeating: 0, count: 15)
        _ = try set.read([2], into: &normalized, normalization: Normalization(scale: nil, mean: [0, 1, 2], std: [1, 2, 4]))
        for i in 0..<15 { XCTAssertEqual(normalized[i], (x[30 + i] - Float(i % 3)) / [1, 2, 4][i % 3], accuracy: 1e-6) }
        XCTAssertThrowsError(try set.read([2], into: &normalized, normalization: Normalization(scale: nil, mean: [0, 1], std: [1]))) {
            XCTAssertTrue("\($0)".contains("the data has 3 channels"), "\($0)")
        }
        options.sequences = false
        options.tokens = true
        _ = try DatasetConverter.arrays(inputs: .open(file + ":ids"), labels: .open(file + ":y"), testInputs: nil, testLabels: nil,
                                        output: dir, name: "tok", options: options)
        let tokens = try ShardSet(manifestPath: dir + "/tok-train.manifest.json")
        var out = [Float](repeating: 0, count: 5)
        _ = try tokens.read([3], into: &out, normalization: Normalization(scale: nil, mean: [0.5], std: [2]))
        XCTAssertEqual(out, Array(ids[15..<20]), "token ids are not normalized")
        XCTAssertThrowsError(try DatasetConverter.arrays(inputs: .open(file + ":bad"), labels: .open(file + ":y"), testInputs: nil,
                                                         testLabels: nil, output: dir, name: "bad", options: options)) {
            XCTAssertTrue("\($0)".contains("token id 2.5 (sample 2) is not an integer"), "\($0)")
        }
        XCTAssertThrowsError(try DatasetConverter.arrays(inputs: .open(file + ":x"), labels: .open(file + ":y"), testInputs: nil,
                                                         testLabels: nil, output: dir, name: "bad", options: options)) {
            XCTAssertTrue("\($0)".contains("--tokens wants token ids [N, T]"), "\($0)")
        }
    }

    func testSyntheticSequenceTasks() throws {
        _ = try DatasetConverter.sequenceTask(.lookup, length: 6, classes: 4, trainSamples: 50, testSamples: 10, seed: 3,
                                              output: dir, name: "lookup", shards: 2)
        let (x, labels, set) = try read(dir + "/lookup-train.manifest.json", Array(0..<50))
        XCTAssertEqual([set.manifest.inputDataset, "\(set.sampleShape)"], ["tokens", "[6]"])
        XCTAssertEqual(SequenceTask.lookup.vocabulary(length: 6, classes: 4), 9)
        for s in 0..<50 {
            let pointer = Int(x[s * 6]) - 4 + 1, data = x[(s * 6 + 1)..<(s * 6 + 6)]
            XCTAssert((1..<6).contains(pointer) && data.allSatisfy { (0..<4).contains($0) }, "sample \(s): \(x[(s * 6)..<(s * 6 + 6)])")
            XCTAssertEqual(Float(labels[s]), x[s * 6 + pointer], "sample \(s): the label is the token the pointer names")
        }
        XCTAssertGreaterThan(Set(labels).count, 3)
        _ = try DatasetConverter.sequenceTask(.parity, length: 5, classes: 9, trainSamples: 20, testSamples: 5, seed: 3,
                                              output: dir, name: "parity", shards: 1)
        let (bits, parity, pset) = try read(dir + "/parity-train.manifest.json", Array(0..<20))
        XCTAssertEqual(pset.manifest.numClasses, 2)
        for s in 0..<20 { XCTAssertEqual(Int(bits[(s * 5)..<(s * 5 + 5)].reduce(0, +)) % 2, Int(parity[s])) }
        _ = try DatasetConverter.sequenceTask(.periodic, length: 32, classes: 3, trainSamples: 20, testSamples: 5, seed: 3,
                                              output: dir, name: "periodic", shards: 1)
        let periodic = try ShardSet(manifestPath: dir + "/periodic-train.manifest.json")
        XCTAssertEqual([periodic.manifest.inputDataset, "\(periodic.sampleShape)"], ["sequences", "[32, 1]"])
        XCTAssertThrowsError(try DatasetConverter.sequenceTask(.lookup, length: 2, classes: 4, trainSamples: 5, testSamples: 5, seed: 1,
                                                               output: dir, name: "x", shards: 1)) {
            XCTAssertTrue("\($0)".contains("needs 3 ≤ min length ≤ length"), "\($0)")
        }
    }

    /// Padded sequences: `/lengths` written by the task and by `arrays --lengths`, read back
    /// per sample through a class subset, bad lengths refused naming the file and sample.
    func testSequenceLengths() throws {
        _ = try DatasetConverter.sequenceTask(.lookup, length: 8, minLength: 4, classes: 3, trainSamples: 40, testSamples: 8, seed: 5,
                                              output: dir, name: "var", shards: 3)
        let (x, labels, set) = try read(dir + "/var-train.manifest.json", Array(0..<40))
        XCTAssertEqual(set.manifest.lengths, true)
        let lengths = try XCTUnwrap(try set.lengths(Array(0..<40)))
        XCTAssert(lengths.allSatisfy { (4...8).contains($0) } && Set(lengths).count > 2, "\(lengths)")
        for s in 0..<40 {
            let pointer = Int(x[s * 8]) - 3 + 1
            XCTAssert(pointer < lengths[s], "sample \(s): the pointer stays within the real steps")
            XCTAssertEqual(Float(labels[s]), x[s * 8 + pointer])
            XCTAssert(x[(s * 8 + lengths[s])..<(s * 8 + 8)].allSatisfy { $0 == 0 }, "zeros after the length")
        }
        let subset = try set.restricted(classes: [2], limit: nil, seed: 1)
        XCTAssertEqual(try subset.lengths(Array(0..<subset.count)), (0..<40).filter { labels[$0] == 2 }.map { lengths[$0] })
        _ = try DatasetConverter.sequenceTask(.lookup, length: 8, classes: 3, trainSamples: 4, testSamples: 4, seed: 5,
                                              output: dir, name: "fixed", shards: 1)
        XCTAssertNil(try ShardSet(manifestPath: dir + "/fixed-train.manifest.json").lengths([0]), "no padding, no lengths")
        // A shard whose /lengths were written by another tool, out of range: reading names it.
        try HDF5File.writeAtomically(to: dir + "/fixed-train-00000-of-00001.h5") { f in
            _ = try f.write("tokens", [Float](repeating: 1, count: 32), shape: [4, 8])
            _ = try f.write("labels", [Int32](repeating: 0, count: 4), shape: [4])
            _ = try f.write("lengths", [Int32]([8, 9, 2, 3]), shape: [4])
        }
        var manifest = try ShardManifest.load(dir + "/fixed-train.manifest.json")
        manifest.lengths = true
        manifest.shards[0].sha256 = try FileDigest.sha256(dir + "/fixed-train-00000-of-00001.h5")
        try manifest.write(to: dir + "/fixed-train.manifest.json")
        XCTAssertThrowsError(try ShardSet(manifestPath: dir + "/fixed-train.manifest.json").lengths([0])) {
            XCTAssertTrue("\($0)".contains("fixed-train-00000-of-00001.h5: /lengths of sample 1 is 9, outside 1...8"), "\($0)")
        }

        let file = dir + "/len.h5"
        try HDF5File.writeAtomically(to: file) { f in
            _ = try f.write("x", [Float](repeating: 1, count: 4 * 3 * 2), shape: [4, 3, 2])
            _ = try f.write("y", [Int64](repeating: 0, count: 4), shape: [4])
            _ = try f.write("l", [Int64]([3, 1, 2, 3]), shape: [4])
            _ = try f.write("bad", [Int64]([3, 0, 2, 3]), shape: [4])
        }
        var options = ArrayShardOptions()
        options.testFraction = 0
        options.sequences = true
        _ = try DatasetConverter.arrays(inputs: .open(file + ":x"), labels: .open(file + ":y"), testInputs: nil, testLabels: nil,
                                        lengths: .open(file + ":l"), output: dir, name: "arr", options: options)
        XCTAssertEqual(try ShardSet(manifestPath: dir + "/arr-train.manifest.json").lengths([0, 1, 2, 3]), [3, 1, 2, 3])
        XCTAssertThrowsError(try DatasetConverter.arrays(inputs: .open(file + ":x"), labels: .open(file + ":y"), testInputs: nil, testLabels: nil,
                                                         lengths: .open(file + ":bad"), output: dir, name: "bad", options: options)) {
            XCTAssertTrue("\($0)".contains("length 0 of shard 1's sample 0 is outside 1...3"), "\($0)")
        }
    }

    func testCIFAR10RecordsBecomeHWC() throws {
        // Record r: label r % 10, R plane 1, G plane 2, B plane = pixel index % 256.
        try FileManager.default.createDirectory(atPath: dir + "/cifar", withIntermediateDirectories: true)
        for file in (1...5).map({ "data_batch_\($0).bin" }) + ["test_batch.bin"] {
            var bytes: [UInt8] = []
            for r in 0..<3 { bytes += [UInt8(r)] + [UInt8](repeating: 1, count: 1024) + [UInt8](repeating: 2, count: 1024) + (0..<1024).map { UInt8($0 % 256) } }
            try Data(bytes).write(to: URL(fileURLWithPath: "\(dir)/cifar/\(file)"))
        }
        _ = try DatasetConverter.cifar10(source: dir + "/cifar", output: dir + "/data", name: "c", shards: 2)
        let (values, labels, set) = try read(dir + "/data/c-train.manifest.json", [1])
        XCTAssertEqual(set.count, 15)
        XCTAssertEqual(labels, [1])
        XCTAssertEqual([values[5], values[1024 + 5], values[2048 + 300]], [1, 2, Float(300 % 256)])
        XCTAssertEqual(set.manifest.labelNames[3], "cat")
    }
}

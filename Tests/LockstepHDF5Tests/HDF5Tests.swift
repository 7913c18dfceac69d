import Foundation
import LockstepHDF5
import LockstepTestSupport
import XCTest

final class HDF5Tests: XCTestCase {
    func testRoundTripDatasetsRowsAndAttributes() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.h5"
        try HDF5File.writeAtomically(to: path) { f in
            try f.setAttribute("format", "test")
            try f.setAttribute("count", 7)
            try f.setAttribute("ratio", 0.25)
            try f.write("group/values", [Float](stride(from: 0, to: 12, by: 1)), shape: [4, 3])
            let d = try f.createDataset("bytes", of: UInt8.self, shape: [5, 2], chunk: [2, 2])
            try [UInt8](0..<10).withUnsafeBufferPointer { try d.write($0) }
        }
        let f = try HDF5File.open(path)
        XCTAssertEqual(try f.stringAttribute("format"), "test")
        XCTAssertEqual(try f.intAttribute("count"), 7)
        XCTAssertEqual(try f.doubleAttribute("ratio"), 0.25)
        XCTAssertEqual(try f.memberNames(), ["bytes", "group"])
        XCTAssert(f.isGroup("group"))
        let v = try f.dataset("group/values")
        XCTAssertEqual(v.shape, [4, 3])
        XCTAssertEqual(v.elementType, .float(bits: 32))
        var rows = [Float](repeating: 0, count: 6)
        try v.read(rows: 1..<3, into: &rows)
        XCTAssertEqual(rows, [3, 4, 5, 6, 7, 8])
        let b = try f.dataset("bytes")
        XCTAssertEqual(b.elementType, .int(bits: 8, signed: false))
        XCTAssertEqual(try b.read(as: Float.self), (0..<10).map(Float.init), "HDF5 converts types on read")
        XCTAssertFalse(FileManager.default.fileExists(atPath: AtomicFile.temporaryPath(for: path)))
    }

    func testErrorsNameFileAndObject() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertThrowsError(try HDF5File.open(dir + "/missing.h5")) { XCTAssert("\($0)".contains("missing.h5: no such file"), "\($0)") }
        let junk = dir + "/junk.h5"
        _ = FileManager.default.createFile(atPath: junk, contents: Data("not hdf5 at all".utf8))
        XCTAssertThrowsError(try HDF5File.open(junk)) { XCTAssert("\($0)".contains("not an HDF5 file"), "\($0)") }

        let path = dir + "/b.h5"
        try HDF5File.writeAtomically(to: path) { try $0.write("x", [Float(1)], shape: [1]) }
        let f = try HDF5File.open(path)
        XCTAssertThrowsError(try f.dataset("y")) { XCTAssert("\($0)".contains("b.h5:/y: missing dataset"), "\($0)") }
        XCTAssertThrowsError(try f.stringAttribute("nope")) { XCTAssert("\($0)".contains("missing attribute nope"), "\($0)") }
        var out = [Float](repeating: 0, count: 2)
        XCTAssertThrowsError(try f.dataset("x").read(rows: 0..<2, into: &out)) { XCTAssert("\($0)".contains("outside"), "\($0)") }
    }

    func testFailedAtomicWriteKeepsThePreviousFile() throws {
        let dir = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c.h5"
        try HDF5File.writeAtomically(to: path) { try $0.write("x", [Float(1)], shape: [1]) }
        struct Boom: Error {}
        XCTAssertThrowsError(try HDF5File.writeAtomically(to: path) { f in
            try f.write("x", [Float(2)], shape: [1])
            throw Boom()
        })
        XCTAssertEqual(try HDF5File.open(path).dataset("x").read(as: Float.self), [1])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["c.h5"], "temporary removed")
    }

    func testReadsAFileWrittenByH5py() throws {
        let f = try HDF5File.open(fixturePath("torch_layers.h5"))
        let g = try f.group("dense")
        XCTAssertEqual(try g.stringAttribute("op"), "dense")
        XCTAssertEqual(try g.intAttribute("outFeatures"), 5)
        XCTAssertEqual(try g.dataset("weight").shape, [5, 7])
    }
}

// Attachments: scans and reports streamed in and out in pieces or by file, nothing left behind
// by a failed upload, and a changed byte caught as tampering.

import Foundation
import XCTest
@testable import HealthLocker

final class AttachmentTests: StoreTestCase {
    func testALargeScanStreamsInAndOutInPiecesAndByFile() throws {
        let (store, owner) = try lockerWithOwner()
        let scan = pattern(3 * 1024 * 1024 + 17)
        let pieceSize = 100_000
        let info = try store.attachments.add(forProfile: owner.id, mediaType: "application/pdf") { write in
            for start in stride(from: 0, to: scan.count, by: pieceSize) {
                try write(scan.subdata(in: start..<min(start + pieceSize, scan.count)))
            }
        }
        XCTAssertEqual(info.size, UInt64(scan.count))
        XCTAssertEqual(info.mediaType, "application/pdf")
        XCTAssertNil(info.recordId)

        var received = Data()
        var pieces = 0
        try store.attachments.read(id: info.id, chunkSize: 64 * 1024) { piece in
            XCTAssertLessThanOrEqual(piece.count, 64 * 1024)
            received.append(piece)
            pieces += 1
        }
        XCTAssertEqual(received, scan)
        XCTAssertGreaterThan(pieces, 1, "read in pieces, not whole")

        // Pulled by hand, through the generated reader.
        let reader = try store.attachments.open(id: info.id)
        XCTAssertEqual(reader.info(), info)
        var pulled = Data()
        while true {
            let piece = try reader.read(maxBytes: HealthLockerStore.maxChunkSize)
            if piece.isEmpty {
                break
            }
            pulled.append(piece)
        }
        XCTAssertEqual(pulled, scan)

        // By file, both ways.
        let xray = file("xray.png")
        try pattern(200_000, seed: 11).write(to: xray)
        let byPath = try store.attachments.add(contentsOf: xray, forProfile: owner.id, mediaType: "image/png")
        let saved = file("saved.png")
        XCTAssertEqual(try store.attachments.save(id: byPath.id, to: saved), 200_000)
        XCTAssertEqual(try Data(contentsOf: saved), try Data(contentsOf: xray))
        XCTAssertEqual(try store.attachments.list(forProfile: owner.id).map(\.id), [byPath.id, info.id], "newest first")

        try store.attachments.delete(id: byPath.id)
        assertThrows(.NotFound(what: "attachment"), try store.attachments.get(id: byPath.id))
        XCTAssertEqual(try store.attachments.get(id: info.id), info)
    }

    func testAnUploadThatFailsPartWayLeavesNothingBehind() throws {
        struct CameraStreamLost: Error {}
        let directory = storeDirectory()
        let (store, owner) = try lockerWithOwner(at: directory)

        XCTAssertThrowsError(try store.attachments.add(forProfile: owner.id, mediaType: "image/jpeg") { write in
            try write(pattern(500_000))
            throw CameraStreamLost()
        }) { error in
            XCTAssertTrue(error is CameraStreamLost, "the producer's own error comes back: \(error)")
        }
        XCTAssertEqual(try store.attachments.list(forProfile: owner.id), [])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent("attachments").path)
        XCTAssertEqual(leftovers, [], "no partial file stays on disk")

        // The same by hand: abort stores nothing, and the writer is spent.
        let writer = try store.attachments.begin(forProfile: owner.id, mediaType: "image/jpeg")
        try writer.write(chunk: pattern(1000))
        writer.abort()
        assertThrowsInvalidInput(try writer.write(chunk: Data([1])))
        XCTAssertEqual(try store.attachments.list(forProfile: owner.id), [])
    }

    func testAChangedByteInAnAttachmentFileIsCaughtAsTampering() throws {
        let directory = storeDirectory()
        let (store, owner) = try lockerWithOwner(at: directory)
        let info = try store.attachments.add(forProfile: owner.id, mediaType: "application/pdf") { write in
            try write(pattern(300_000))
        }

        // The store keeps each attachment as attachments/<id>.hla (core/src/store/mod.rs).
        let sealed = directory.appendingPathComponent("attachments/\(info.id).hla")
        let handle = try FileHandle(forUpdating: sealed)
        try handle.seek(toOffset: 100_000)
        let original = try XCTUnwrap(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 100_000)
        try handle.write(contentsOf: Data([original ^ 0x01]))
        try handle.close()

        assertThrows(.Tampered, try store.attachments.read(id: info.id) { _ in })
        let saved = file("saved.pdf")
        assertThrows(.Tampered, try store.attachments.save(id: info.id, to: saved))
        XCTAssertFalse(FileManager.default.fileExists(atPath: saved.path), "no unverified content is left at the destination")

        let report = try store.check()
        XCTAssertEqual(report.damagedAttachments, [info.id])
        XCTAssertFalse(report.problems.isEmpty)
    }
}

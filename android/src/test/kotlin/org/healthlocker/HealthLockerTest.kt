package org.healthlocker

import java.io.ByteArrayInputStream
import java.io.File
import java.io.IOException
import java.io.RandomAccessFile
import java.security.MessageDigest
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.random.Random
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertIs
import kotlin.test.assertNotEquals
import kotlin.test.assertNull
import kotlin.test.assertTrue
import org.junit.After
import org.junit.Rule
import org.junit.Test
import org.junit.rules.TemporaryFolder

/** The facade and the generated bindings, on a real JVM against the real library, told as a family's stories. */
class HealthLockerTest {
    @get:Rule val tmp = TemporaryFolder()

    private val fixtures = File(System.getProperty("healthlocker.fixtures") ?: "fixtures/bundles")
    private val opened = mutableListOf<HealthLocker>()

    @After fun closeAll() = opened.forEach { runCatching { it.close() } }

    private fun sample(name: String) = File(fixtures, "$name.json").readBytes()

    private fun storeDir() = tmp.newFolder("store")

    private fun track(l: HealthLocker) = l.also { opened += it }

    private fun owner() = NewProfile(
        name = "Kavita Sharma", gender = Gender.FEMALE, birthDate = "1986-02-14",
        abhaNumber = "91-5540-2234-7788", abhaAddress = "kavita.s@sbx", relation = "self", isOwner = true,
    )

    private fun lockerWithOwner(dir: File = storeDir(), keys: KeyProvider = InMemoryKeyProvider()): Pair<HealthLocker, Profile> {
        val l = track(HealthLocker.create(dir, keys))
        return l to l.addProfile(owner())
    }

    private fun fingerprint(dir: File): Map<String, String> =
        dir.walkTopDown().filter { it.isFile }.associate { f ->
            f.relativeTo(dir).path to MessageDigest.getInstance("SHA-256").digest(f.readBytes()).joinToString("") { "%02x".format(it) }
        }

    private fun pattern(n: Int) = Random(7).nextBytes(n)

    @Test fun `a family's locker opens again with its key and shows the same people`() {
        val dir = storeDir()
        val keys = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, keys)
        val child = l.addProfile(NewProfile(name = "Rohan Sharma", gender = Gender.MALE, birthDate = "2015", relation = "child"))
        l.close()
        assertFailsWith<LockerException.Closed> { l.profiles() }

        val again = track(HealthLocker.open(dir, keys))
        assertEquals(listOf(owner, child), again.profiles())
        again.close()
        assertEquals(listOf(owner, child), track(HealthLocker.openOrCreate(dir, keys)).profiles())
        assertTrue(HealthLocker.openOrCreate(File(tmp.root, "fresh"), keys).also { track(it) }.profiles().isEmpty())
    }

    @Test fun `a store whose database file was lost is reported damaged and never built over`() {
        val dir = storeDir()
        val keys = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, keys)
        l.addAttachment(owner.id, "application/pdf", "%PDF-1.4 a scanned report".byteInputStream())
        l.close()
        File(dir, "locker.db").delete()
        val before = fingerprint(dir) - "locker.lock"

        for (k in listOf(keys, InMemoryKeyProvider())) {
            val lost = assertFailsWith<LockerException.Corrupt> { HealthLocker.openOrCreate(dir, k) }
            assertTrue(lost.reason.contains("locker.db is missing"), lost.reason)
        }
        val refused = assertFailsWith<LockerException.StoreExists> { Locker.create(dir.path, ByteArray(32)) }
        assertTrue(refused.found.contains("attachments/ (1 file)"), refused.found)
        assertEquals(before, fingerprint(dir) - "locker.lock")
    }

    @Test fun `a wrong key is refused and every byte of the store stays as it was`() {
        val dir = storeDir()
        val keys = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, keys)
        l.importRecord(owner.id, sample("prescription"))
        l.close()
        val before = fingerprint(dir)

        assertFailsWith<LockerException.WrongKey> { HealthLocker.open(dir, InMemoryKeyProvider()) }
        assertEquals(before, fingerprint(dir))
        assertFailsWith<LockerException.InvalidInput> { Locker.open(dir.path, ByteArray(31)) }
        assertEquals(1, track(HealthLocker.open(dir, keys)).records().records.size)
    }

    @Test fun `every kind of record imports, classified, and a second copy is a duplicate`() {
        val (l, owner) = lockerWithOwner()
        val expected = mapOf(
            "op-consultation" to HiType.OP_CONSULTATION, "prescription" to HiType.PRESCRIPTION,
            "discharge-summary" to HiType.DISCHARGE_SUMMARY, "diagnostic-report" to HiType.DIAGNOSTIC_REPORT,
            "immunization" to HiType.IMMUNIZATION_RECORD, "health-document" to HiType.HEALTH_DOCUMENT_RECORD,
            "wellness" to HiType.WELLNESS_RECORD, "invoice" to HiType.INVOICE,
        )
        val ids = expected.map { (name, type) ->
            val r = l.importRecord(owner.id, sample(name))
            assertEquals(type, r.hiType, name)
            assertTrue(r.title.isNotBlank() && r.date != null, name)
            r.id
        }
        val dup = assertFailsWith<LockerException.Duplicate> { l.importRecord(owner.id, sample("invoice")) }
        assertEquals(ids.last(), dup.existing)
        for (bad in File(fixtures, "invalid").listFiles()!!) {
            assertFailsWith<LockerException.InvalidInput>(bad.name) { l.importRecord(owner.id, bad) }
        }
        assertEquals(8, l.allRecords().count())
    }

    @Test fun `records list newest first and filter by type, dates, words and person`() {
        val (l, owner) = lockerWithOwner()
        val child = l.addProfile(NewProfile(name = "Rohan Sharma", gender = Gender.MALE, birthDate = "2015", relation = "child"))
        for (name in listOf("op-consultation", "prescription", "discharge-summary", "diagnostic-report", "wellness")) {
            l.importRecord(owner.id, sample(name))
        }
        l.importRecord(child.id, sample("immunization"))

        val all = l.records().records
        assertEquals(6, all.size)
        assertEquals(all.sortedByDescending { it.sortMs }, all)
        assertEquals(listOf(HiType.PRESCRIPTION), l.records(RecordQuery(hiTypes = listOf(HiType.PRESCRIPTION))).records.map { it.hiType })
        val in2024 = l.records(RecordQuery(fromDate = "2024-01-01", toDate = "2024-12-31")).records
        assertEquals(setOf(HiType.OP_CONSULTATION, HiType.IMMUNIZATION_RECORD), in2024.map { it.hiType }.toSet())
        assertEquals(listOf(HiType.DISCHARGE_SUMMARY), l.records(RecordQuery(text = "dengue")).records.map { it.hiType })
        assertEquals(listOf(HiType.DIAGNOSTIC_REPORT), l.records(RecordQuery(text = "lipi")).records.map { it.hiType })
        assertEquals(listOf(child.id), l.records(RecordQuery(profileId = child.id)).records.map { it.profileId })
        assertTrue(l.records(RecordQuery(text = "appendicectomy")).records.isEmpty())

        // Two at a time, every record exactly once.
        val first = l.records(RecordQuery(limit = 2u))
        assertEquals(2, first.records.size)
        assertNotEquals(null, first.nextCursor)
        assertEquals(all, l.allRecords(RecordQuery(limit = 2u)).toList())
    }

    @Test fun `a record exports exactly as imported, to memory or a file, and deletes`() {
        val (l, owner) = lockerWithOwner()
        val bundle = sample("health-document") // carries an inline PDF
        val r = l.importRecord(owner.id, bundle, careContext = "visit-2018-appendix")
        assertEquals("visit-2018-appendix", r.careContext)
        assertContentEquals(bundle, l.exportRecord(r.id))
        val out = File(tmp.root, "export.json")
        assertEquals(bundle.size.toLong(), l.exportRecord(r.id, out))
        assertContentEquals(bundle, out.readBytes())

        l.deleteRecord(r.id)
        assertFailsWith<LockerException.NotFound> { l.record(r.id) }
        assertFailsWith<LockerException.NotFound> { l.exportRecord(r.id) }
    }

    @Test fun `a large scan streams in and out in pieces, and by file`() {
        val (l, owner) = lockerWithOwner()
        val scan = pattern(3 * 1024 * 1024 + 17)
        val info = l.addAttachment(owner.id, "application/pdf", ByteArrayInputStream(scan))
        assertEquals(scan.size.toULong(), info.size)
        assertContentEquals(scan, l.openAttachment(info.id).use { it.readBytes() })

        val file = File(tmp.root, "xray.png").apply { writeBytes(pattern(200_000)) }
        val byPath = l.addAttachment(owner.id, "image/png", file)
        val saved = File(tmp.root, "saved.png")
        assertEquals(200_000L, l.saveAttachment(byPath.id, saved))
        assertContentEquals(file.readBytes(), saved.readBytes())
        assertEquals(listOf(byPath.id, info.id), l.attachments(owner.id).map { it.id })

        l.deleteAttachment(byPath.id)
        assertFailsWith<LockerException.NotFound> { l.attachment(byPath.id) }
    }

    @Test fun `an upload that fails part way leaves nothing behind`() {
        val dir = storeDir()
        val (l, owner) = lockerWithOwner(dir)
        val failing = object : java.io.InputStream() {
            var left = 500_000
            override fun read(): Int = throw UnsupportedOperationException()
            override fun read(b: ByteArray, off: Int, len: Int): Int {
                if (left <= 0) throw IOException("camera stream lost")
                val n = minOf(len, left).also { left -= it }
                return n
            }
        }
        assertFailsWith<IOException> { l.addAttachment(owner.id, "image/jpeg", failing) }
        assertTrue(l.attachments(owner.id).isEmpty())
        assertTrue(File(dir, "attachments").listFiles()!!.isEmpty())
    }

    @Test fun `a changed byte in an attachment file is caught as tampering`() {
        val dir = storeDir()
        val (l, owner) = lockerWithOwner(dir)
        val info = l.addAttachment(owner.id, "application/pdf", ByteArrayInputStream(pattern(300_000)))
        RandomAccessFile(File(dir, "attachments/${info.id}.hla"), "rw").use {
            it.seek(100_000)
            val b = it.read()
            it.seek(100_000)
            it.write(b xor 0x01)
        }
        val e = assertFailsWith<IOException> { l.openAttachment(info.id).use { it.readBytes() } }
        assertIs<LockerException.Tampered>(e.cause)
        val report = l.check()
        assertEquals(listOf(info.id), report.damagedAttachments)
        assertTrue(report.problems.isNotEmpty())
    }

    @Test fun `check passes on a sound store with records and attachments`() {
        val (l, owner) = lockerWithOwner()
        l.importRecord(owner.id, sample("diagnostic-report"))
        l.addAttachment(owner.id, "image/png", ByteArrayInputStream(pattern(70_000)))
        val report = l.check()
        assertEquals(emptyList(), report.problems)
        assertEquals(1uL, report.attachmentsChecked) // the image; the report's small inline PDF stays in its bundle
        assertIs<AuditVerification.Intact>(report.audit)
    }

    @Test fun `the audit log records each change, without personal data`() {
        val (l, owner) = lockerWithOwner()
        val count = { (l.verifyAudit() as AuditVerification.Intact).entries }
        val start = count()
        val r = l.importRecord(owner.id, sample("op-consultation"))
        l.exportRecord(r.id)
        l.deleteRecord(r.id)
        l.updateProfile(owner.copy(name = "Kavita S. Verma", abhaAddress = null))
        assertEquals(start + 4u, count())
        val entries = l.auditEntries(10)
        assertEquals(listOf("profile.update", "record.delete", "record.export", "record.import", "profile.add", "store.create"), entries.map { it.action })
        val text = entries.joinToString { "$it" }
        for (secret in listOf("Kavita", "Sharma", "Meenakshi", "91-5540", "kavita.s")) assertTrue(secret !in text, secret)
    }

    @Test fun `profiles are edited whole and removing one takes its records`() {
        val (l, owner) = lockerWithOwner()
        val edited = l.updateProfile(owner.copy(name = "Kavita S. Verma", abhaAddress = null))
        assertEquals("Kavita S. Verma", edited.name)
        assertNull(edited.abhaAddress)
        assertEquals(owner.abhaNumber, l.profile(owner.id).abhaNumber)

        val child = l.addProfile(NewProfile(name = "Rohan Sharma", gender = Gender.MALE, birthDate = "2015", relation = "child"))
        val rec = l.importRecord(child.id, sample("immunization"))
        l.removeProfile(child.id)
        assertFailsWith<LockerException.NotFound> { l.record(rec.id) }
        assertEquals(listOf(edited), l.profiles())
        assertFailsWith<LockerException.InvalidInput> {
            l.addProfile(NewProfile(name = "", gender = Gender.OTHER, birthDate = "2015", relation = "child"))
        }
    }

    @Test fun `a new key replaces the old one`() {
        val dir = storeDir()
        val old = InMemoryKeyProvider()
        val (l, owner) = lockerWithOwner(dir, old)
        l.importRecord(owner.id, sample("wellness"))
        val newKey = generateKey()
        l.rekey(newKey.copyOf())
        l.close()
        assertFailsWith<LockerException.WrongKey> { HealthLocker.open(dir, old) }
        assertEquals(1, track(HealthLocker.open(dir, InMemoryKeyProvider(newKey))).records().records.size)
    }

    @Test fun `one locker serves several threads at once`() {
        val (l, owner) = lockerWithOwner()
        val names = listOf("op-consultation", "prescription", "discharge-summary", "diagnostic-report")
        val pool = Executors.newFixedThreadPool(4)
        val jobs = names.map { name -> pool.submit { l.importRecord(owner.id, sample(name)); repeat(20) { l.records() } } }
        jobs.forEach { it.get(60, TimeUnit.SECONDS) }
        pool.shutdown()
        assertEquals(4, l.records().records.size)
    }
}

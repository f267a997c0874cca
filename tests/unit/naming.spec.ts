import * as assert from "assert";
import { blobContainerName, gcsBucketName, s3BucketName, storageAccountName } from "../../components/naming";

const SUFFIX = "k3x9q2ab";
const LONG_PROJECT = "a-very-long-project-name-that-goes-on-and-on-and-on-for-ever";

describe("cloud resource names", () => {
    describe("S3 buckets", () => {
        it("3-63 characters of a-z 0-9 and -, starting and ending alphanumeric", () => {
            for (const [p, s] of [["mlflow", "dev"], [LONG_PROJECT, "Staging_EU"], ["MLflow", "prod"]]) {
                const n = s3BucketName(p, s, SUFFIX);
                assert.ok(n.length >= 3 && n.length <= 63, n);
                assert.match(n, /^[a-z0-9][a-z0-9-]*[a-z0-9]$/);
            }
        });
        it("ends with the uniqueness suffix and keeps project and stack apart", () => {
            assert.strictEqual(s3BucketName("mlflow", "dev", SUFFIX), `mlflow-dev-artifacts-${SUFFIX}`);
            assert.notStrictEqual(s3BucketName("mlflow", "dev", SUFFIX), s3BucketName("mlflow", "prod", SUFFIX));
        });
        it("never starts with the reserved xn-- or sthree- prefixes", () => {
            assert.ok(!s3BucketName("xn--ml", "dev", SUFFIX).startsWith("xn--"));
            assert.ok(!s3BucketName("sthree-x", "dev", SUFFIX).startsWith("sthree-"));
        });
    });

    describe("Azure storage accounts", () => {
        it("3-24 lower-case letters and digits only, with the suffix", () => {
            for (const [p, s] of [["mlflow", "dev"], [LONG_PROJECT, "staging"], ["ML-flow", "prod_1"]]) {
                const n = storageAccountName(p, s, SUFFIX);
                assert.match(n, /^[a-z0-9]{3,24}$/, n);
                assert.ok(n.endsWith(SUFFIX));
            }
        });
    });

    describe("Azure blob containers", () => {
        it("3-63 of a-z 0-9 and single hyphens", () => {
            assert.strictEqual(blobContainerName("MLflow--Artifacts_"), "mlflow-artifacts");
            assert.ok(blobContainerName("x".repeat(80)).length <= 63);
            assert.throws(() => blobContainerName("a"));
        });
    });

    describe("GCS buckets", () => {
        it("3-63 characters, alphanumeric at both ends, never containing google or starting with goog", () => {
            for (const [p, s] of [["mlflow", "dev"], ["google-ml", "prod"], ["goog", "x"], [LONG_PROJECT, "staging"]]) {
                const n = gcsBucketName(p, s, SUFFIX);
                assert.ok(n.length >= 3 && n.length <= 63, n);
                assert.match(n, /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/);
                assert.ok(!n.startsWith("goog") && !n.includes("google"), n);
            }
        });
    });

    it("refuses a suffix the clouds would not accept", () => {
        assert.throws(() => s3BucketName("mlflow", "dev", "ABC_1"));
    });
});

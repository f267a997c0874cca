// The CrossGuard policy pack of the project's promises (rules.ts). Advisory by default; prod
// runs it mandatory: `pulumi preview --policy-pack policy --policy-pack-config policy/config/prod.json`.
import { PolicyPack } from "@pulumi/policy";
import { RESOURCE_POLICIES, STACK_POLICIES } from "./rules";

new PolicyPack("mlflow-promises", {
    enforcementLevel: "advisory",
    policies: [...RESOURCE_POLICIES, ...STACK_POLICIES],
});

import { redirect } from "next/navigation";

// The datastore list is the console's start page.
export default function Home() {
  redirect("/datastores");
}

"use client";
/**
 * Restore / Download (PBS's snapshot file list and file browser): the snapshot's archives with
 * their sizes, each downloadable (an image or a config file as it is, a directory archive as a
 * tar), and a browser for directory archives: open folders, download one file, or a folder as
 * a tar. Downloads are plain links to the download route, so the browser streams them to disk
 * and shows its own progress against the size the server announces in Content-Length (exact
 * for tars too). The dialog shows a size only where it knows the downloaded one: a tar's size
 * is worked out by the server when the download starts, so the dialog does not guess it.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { downloadPath } from "./download-url";
import type { SnapshotRef } from "@/server/datastore/model/names";
import { ActionError } from "./ActionError";
import { Dialog, DialogClose, DialogFooter } from "./Dialog";
import { formatSize, formatUtcTime, snapshotName } from "./format";
import { Icon } from "./Icon";
import { Spinner } from "./Spinner";
import { useTRPC } from "./TrpcProvider";
import "./restore.css";

const KIND_LABEL = { image: "Disk image", directory: "Directory", blob: "File" } as const;

/** `root.pxar.didx` -> `root.pxar`: the name the user gave at backup time. */
const shownName = (filename: string) => filename.replace(/\.(fidx|didx|blob)$/, "");

/** A download styled as a button; `label` is its accessible name, `saveAs` the suggested file name. */
function DownloadLink({ href, saveAs, label, text }: { href: string; saveAs: string; label: string; text: string }) {
  return (
    <a className="button" href={href} download={saveAs} aria-label={label}>
      <Icon name="download" />
      {text}
    </a>
  );
}

/** `root.pxar` -> `root.tar`: what a directory archive or one of its folders is saved as. */
const tarName = (name: string) => `${name.replace(/\.(pxar|mpxar|ppxar)$/, "")}.tar`;

function Loading({ text }: { text: string }) {
  return (
    <p className="dialog__text restore__loading">
      <Spinner label={text} /> {text}
    </p>
  );
}

export function RestoreDialog({ store, ns, snapshot, onClose }: { store: string; ns: string; snapshot: SnapshotRef; onClose(): void }) {
  const [browsing, setBrowsing] = useState<{ archive: string; path: string } | null>(null);
  const name = snapshotName(snapshot.type, snapshot.id, snapshot.time);
  return (
    <Dialog
      open
      onOpenChange={(o) => !o && onClose()}
      size="wide"
      title={`Restore snapshot ${name}`}
      description={`In ${ns === "" ? "the root namespace" : `namespace ${ns}`} of ${store}. Downloads are checked chunk by chunk; a damaged chunk stops the download with an error.`}
    >
      {browsing ? (
        <FileBrowser store={store} ns={ns} snapshot={snapshot} archive={browsing.archive} path={browsing.path} onPath={(path) => setBrowsing({ ...browsing, path })} onBack={() => setBrowsing(null)} />
      ) : (
        <ArchiveList store={store} ns={ns} snapshot={snapshot} onBrowse={(archive) => setBrowsing({ archive, path: "" })} />
      )}
      <DialogFooter>
        <DialogClose className="button">Close</DialogClose>
      </DialogFooter>
    </Dialog>
  );
}

function ArchiveList({ store, ns, snapshot, onBrowse }: { store: string; ns: string; snapshot: SnapshotRef; onBrowse(archive: string): void }) {
  const trpc = useTRPC();
  const archives = useQuery(trpc.restore.archives.queryOptions({ store, ns, snapshot }));
  if (archives.isPending) return <Loading text="Loading the archives…" />;
  if (archives.isError) return <ActionError title="Cannot list the archives" error={archives.error} />;
  if (archives.data.length === 0) return <p className="dialog__text">This snapshot holds no archives.</p>;
  return (
    <div className="table-wrap restore__table">
      <table className="data-table" aria-label="Archives">
        <thead>
          <tr>
            <th scope="col">Archive</th>
            <th scope="col" className="restore__narrow-hide">Type</th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {archives.data.map((a) => {
            const shown = shownName(a.filename);
            const encrypted = a["crypt-mode"] === "encrypt";
            const url = downloadPath({ store, ns, snapshot, archive: a.filename });
            return (
              <tr key={a.filename}>
                <td className="restore__name">{shown}</td>
                <td className="restore__narrow-hide">{KIND_LABEL[a.kind]}</td>
                <td className="num">{formatSize(a.size)}</td>
                <td><div className="restore__actions">
                  {encrypted ? (
                    <span className="muted" title="Encrypted on the client: only the client with its key can restore it">
                      Encrypted
                    </span>
                  ) : (
                    <>
                      {a.kind === "directory" ? (
                        <button type="button" className="button" onClick={() => onBrowse(a.filename)} aria-label={`Browse ${shown}`}>
                          <Icon name="folder" />
                          Browse
                        </button>
                      ) : null}
                      {a.kind === "directory" ? (
                        <DownloadLink href={url} saveAs={tarName(shown)} label={`Download ${shown} as a tar`} text="Download .tar" />
                      ) : (
                        <DownloadLink href={url} saveAs={shown} label={`Download ${shown} (${formatSize(a.size)})`} text="Download" />
                      )}
                    </>
                  )}
                </div></td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function FileBrowser({
  store,
  ns,
  snapshot,
  archive,
  path,
  onPath,
  onBack,
}: {
  store: string;
  ns: string;
  snapshot: SnapshotRef;
  archive: string;
  path: string;
  onPath(path: string): void;
  onBack(): void;
}) {
  const trpc = useTRPC();
  const listing = useQuery(trpc.restore.browse.queryOptions({ store, ns, snapshot, archive, path }));
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  // After opening a folder the focus goes to its heading, so keyboard users hear where they are.
  useEffect(() => {
    if (moved.current) heading.current?.focus();
    moved.current = true;
  }, [path]);
  const parts = path === "" ? [] : path.split("/");
  const shown = shownName(archive);
  const folderName = parts.at(-1) ?? shown;
  return (
    <div className="restore">
      <nav className="restore__crumbs" aria-label="Folder path">
        <button type="button" className="link-button" onClick={onBack}>
          Archives
        </button>
        <span aria-hidden="true">/</span>
        {[shown, ...parts].map((p, i) => {
          const target = parts.slice(0, i).join("/");
          const current = i === parts.length;
          return (
            <span key={`${i}-${p}`} className="restore__crumb">
              {current ? (
                <span aria-current="location">{p}</span>
              ) : (
                <button type="button" className="link-button" onClick={() => onPath(target)}>
                  {p}
                </button>
              )}
              {current ? null : <span aria-hidden="true">/</span>}
            </span>
          );
        })}
      </nav>
      <div className="restore__bar">
        <h3 className="restore__heading" tabIndex={-1} ref={heading}>
          Folder {folderName}
        </h3>
        {parts.length > 0 ? (
          <button type="button" className="button" onClick={() => onPath(parts.slice(0, -1).join("/"))}>
            Up
          </button>
        ) : null}
        <DownloadLink
          href={downloadPath({ store, ns, snapshot, archive, path })}
          saveAs={tarName(parts.length ? folderName : shown)}
          label={`Download folder ${folderName} as a tar`}
          text="Download folder (.tar)"
        />
      </div>
      {listing.isPending ? (
        <Loading text="Reading the folder…" />
      ) : listing.isError ? (
        <ActionError title="Cannot open the folder" error={listing.error} />
      ) : listing.data.entries.length === 0 ? (
        <p className="dialog__text">This folder is empty.</p>
      ) : (
        <div className="table-wrap restore__table">
          <table className="data-table" aria-label={`Files in ${folderName}`}>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col" className="restore__narrow-hide">Type</th>
                <th scope="col" className="num">
                  Size
                </th>
                <th scope="col" className="restore__narrow-hide">Modified (UTC)</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {listing.data.entries.map((e) => (
                <tr key={e.path}>
                  <td className="restore__name">
                    {e.type === "dir" ? (
                      <button type="button" className="link-button restore__open" onClick={() => onPath(e.path)} aria-label={`Open folder ${e.name}`}>
                        <Icon name="folder" />
                        {e.name}
                      </button>
                    ) : e.type === "symlink" ? (
                      <span>
                        {e.name} <span className="muted">→ {e.target}</span>
                      </span>
                    ) : (
                      e.name
                    )}
                  </td>
                  <td className="restore__narrow-hide">{e.type === "dir" ? "Folder" : e.type === "symlink" ? "Symlink" : "File"}</td>
                  <td className="num">{e.type === "file" ? formatSize(e.size) : <span className="muted">—</span>}</td>
                  <td className="nowrap restore__narrow-hide">{formatUtcTime(e.mtime / 1000)}</td>
                  <td><div className="restore__actions">
                    {e.type === "symlink" ? null : e.type === "dir" ? (
                      <DownloadLink href={downloadPath({ store, ns, snapshot, archive, path: e.path })} saveAs={`${e.name}.tar`} label={`Download folder ${e.name} as a tar`} text=".tar" />
                    ) : (
                      <DownloadLink href={downloadPath({ store, ns, snapshot, archive, path: e.path })} saveAs={e.name} label={`Download ${e.name} (${formatSize(e.size)})`} text="Download" />
                    )}
                  </div></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="field__hint">
        {listing.data ? `${listing.data.totalEntries} entries, ${formatSize(listing.data.totalBytes)} of files in the archive. ` : ""}
        Folders download as tar files (extract with <code>tar -xf</code>); modification times are kept to the second. A tar&apos;s size is
        unknown here: the server works it out when the download starts, and your browser then shows it with the progress.
      </p>
    </div>
  );
}

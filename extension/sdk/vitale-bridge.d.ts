/**
 * vitale-bridge page SDK: TypeScript declarations.
 * Field names follow the host's JSON-RPC models (bridge/cards/models.py, bridge/od/models.py).
 */

export declare const SDK_VERSION: string;
export declare const PAGE_PROTOCOL_VERSION: string;

export declare const ErrorCode: {
  readonly EXTENSION_MISSING: "EXTENSION_MISSING";
  readonly HOST_MISSING: "HOST_MISSING";
  readonly VERSION_MISMATCH: "VERSION_MISMATCH";
  readonly ORIGIN_REFUSED: "ORIGIN_REFUSED";
  readonly INSECURE_CONTEXT: "INSECURE_CONTEXT";
  readonly READ_IN_PROGRESS: "READ_IN_PROGRESS";
  readonly INVALID_REQUEST: "INVALID_REQUEST";
  readonly TIMED_OUT: "TIMED_OUT";
  /** connect() from inside a frame: the extension serves top-level pages only. */
  readonly FRAME_NOT_SUPPORTED: "FRAME_NOT_SUPPORTED";
  /** The page called close() before the answer came. */
  readonly CONNECTION_CLOSED: "CONNECTION_CLOSED";
  /** WebSocket fallback: the browser is not paired with the host yet (vitale-bridge pair). */
  readonly PAIRING_REQUIRED: "PAIRING_REQUIRED";
  /** WebSocket fallback: the program on the port did not prove it is this user's bridge. */
  readonly UNTRUSTED_HOST: "UNTRUSTED_HOST";
  readonly NO_READER: "NO_READER";
  readonly READER_NOT_FOUND: "READER_NOT_FOUND";
  readonly PCSC_UNAVAILABLE: "PCSC_UNAVAILABLE";
  readonly NO_CARD: "NO_CARD";
  readonly CARD_REMOVED: "CARD_REMOVED";
  readonly UNSUPPORTED_CARD: "UNSUPPORTED_CARD";
  readonly CARD_COMMUNICATION: "CARD_COMMUNICATION";
  readonly CARD_BUSY: "CARD_BUSY";
  readonly READER_BUSY: "READER_BUSY";
  readonly CPS_REQUIRED: "CPS_REQUIRED";
  readonly OD_NOT_FOUND: "OD_NOT_FOUND";
  readonly OD_TABLE_INVALID: "OD_TABLE_INVALID";
  readonly OD_IMPORT_SUSPICIOUS: "OD_IMPORT_SUSPICIOUS";
  readonly PROFILE_NOT_FOUND: "PROFILE_NOT_FOUND";
  readonly FORBIDDEN: "FORBIDDEN";
  readonly TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS";
  readonly RESULT_TOO_LARGE: "RESULT_TOO_LARGE";
  readonly BRIDGE: "BRIDGE";
  readonly PKCS11_UNAVAILABLE: "PKCS11_UNAVAILABLE";
  readonly NO_TOKEN: "NO_TOKEN";
  readonly NO_CERTIFICATE: "NO_CERTIFICATE";
  readonly UNKNOWN: "UNKNOWN";
};
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export declare const PageEvent: {
  readonly CARD_INSERTED: "card.inserted";
  readonly CARD_REMOVED: "card.removed";
};
export type CardEventName = "card.inserted" | "card.removed";

export type CardType = "vitale1" | "vitale2" | "cps2ter" | "cps3" | "cps4" | "cpsContactless" | "unknown";

export declare class VitaleBridgeError extends Error {
  readonly code: ErrorCodeValue | string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details?: Record<string, unknown>);
}
declare class TypedError extends VitaleBridgeError {
  constructor(message?: string, details?: Record<string, unknown>);
}
export declare class ExtensionMissingError extends TypedError {}
export declare class HostMissingError extends TypedError {}
export declare class VersionMismatchError extends TypedError {}
export declare class NoReaderError extends TypedError {}
export declare class NoCardError extends TypedError {}
export declare class CardRemovedError extends TypedError {}
/** Another program (often the billing software) holds the reader; the bridge waited a few seconds. */
export declare class ReaderBusyError extends TypedError {}
export declare class CpsRequiredError extends TypedError {}
export declare class OriginRefusedError extends TypedError {}
export declare class TimedOutError extends TypedError {}
export declare class InsecureContextError extends TypedError {}
export declare class ReadInProgressError extends TypedError {}
export declare class OdNotFoundError extends TypedError {}
export declare class UnsupportedCardError extends TypedError {}
export declare class Pkcs11UnavailableError extends TypedError {}
export declare class NoTokenError extends TypedError {}
export declare class NoCertificateError extends TypedError {}
export declare class FrameNotSupportedError extends TypedError {}
export declare class ConnectionClosedError extends TypedError {}
export declare class PairingRequiredError extends TypedError {}
export declare class UntrustedHostError extends TypedError {}

export declare function errorFromWire(wire: { code?: string; message?: string; details?: Record<string, unknown> } | null): VitaleBridgeError;

export interface HostInfo {
  name: string;
  version: string;
  protocolVersion: string;
  transport: string;
  driver: "pcsc" | "simulator" | string;
}

export interface BridgeStatus {
  extension: { version: string };
  state: "idle" | "connecting" | "ready" | "incompatible" | "unavailable" | "pairingRequired" | "untrustedHost";
  transport: "native" | "websocket" | null;
  host: HostInfo | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  readers?: ReadersList;
}

export interface Reader {
  name: string;
  cardPresent: boolean;
  cardType: CardType | null;
  atr: string | null;
}
export interface ReadersList {
  readers: Reader[];
  driver?: string;
}

export interface BirthDate {
  /** Exactly as on the card: YYYYMMDD, or YYMMDD when the century is missing. */
  raw: string;
  /** Only when raw is a real calendar date. */
  iso: string | null;
  lunar: boolean;
  missingCentury: boolean;
}
export interface Nir {
  number: string;
  key: string | null;
  keyValid: boolean | null;
  provisional: boolean;
}
export interface RightsPeriod {
  start: string | null;
  end: string | null;
  /** Exactly as on the card (start/end are null when these are not real calendar dates). */
  rawStart: string | null;
  rawEnd: string | null;
}
export interface BeneficiaryAmo {
  qualite: string;
  qualiteLibelle: string | null;
  droits: RightsPeriod[];
}
export interface Beneficiary {
  nom: string;
  prenom: string;
  dateNaissance: BirthDate;
  /** Null when the card did not give it (clear reads never do; the licensed reading does). */
  rangNaissance: number | null;
  nir: Nir | null;
  /** Only with scope "full" (a CPS card present). */
  amo: BeneficiaryAmo | null;
  unknownTags: { tag: string; value: string; path: string }[];
}
export interface HolderAmo {
  regime: string;
  caisse: string;
  centre: string;
  codeGestion: string | null;
}
export interface OrganismeDestinataire {
  od: string;
  codeCentreInformatique: string;
  libelle: string;
  regime: string;
  regimeLibelle: string | null;
  caisse: string;
  centre: string;
  adresse1: string | null;
  adresse2: string | null;
  commune: string | null;
  codePostal: string | null;
  cedex: string | null;
  telephone: string | null;
  fax: string | null;
  tableVersion: string;
  /** The resolution rule; null in searchOd results (a search finds rows, see matchedOn). */
  matched: "exact" | "centreWildcard" | null;
}
export interface Availability {
  scope: "clear" | "full";
  identity: boolean;
  amo: boolean;
  reason: string | null;
  reasonCode: "cpsAbsent" | "protectedByCard" | "notRequested" | null;
}
export interface VitaleRead {
  reader: string;
  cardType: CardType;
  atr: string;
  serialNumber: string | null;
  validity: { start: string | null; end: string | null; rawStart: string | null; rawEnd: string | null } | null;
  beneficiaries: Beneficiary[];
  amo: HolderAmo | null;
  availability: Availability;
  organismeDestinataire: OrganismeDestinataire | null;
  odStatus: "resolved" | "notFound" | "notRequested" | "noAmo" | "unavailable";
  unknownTags: { tag: string; value: string; path: string }[];
  /** True when this answer came from the card session (the same card, still in its reader), not from the card. */
  fromCache: boolean;
}
export interface CpsStatus {
  present: boolean;
  reader: string | null;
  cardType: CardType | null;
  atr: string | null;
  cardNumber: string | null;
  pinTriesMax?: number | null;
  pinTriesRemaining: number | null;
  /** With cpsStatus({identity: true}) (as the popup asks): the holder, as cpsIdentity() gives it. */
  identity?: CpsIdentity | null;
  /** When the identity was asked but could not be read: the error cpsIdentity() would raise. */
  identityError?: { code: string; message: string } | null;
}
/** The CPS holder, from the card's certificate (IGC-Santé), read without a PIN. */
export interface CpsIdentity {
  /** The PC/SC reader of the CPS, when the PKCS#11 token could be tied to one. */
  reader: string | null;
  /** Type digit + number, e.g. "810100000017" (8 = RPPS, 0 = ADELI). */
  identifiantNational: string;
  /** null when the type digit is not one the ANS documents. */
  typeIdentifiant: "rpps" | "adeli" | "cabinetAdeli" | "finess" | "siren" | "siret" | "cabinetRpps" | null;
  typeIdentifiantLibelle: string | null;
  /** The RPPS / ADELI number: the identifier without its type digit. */
  numero: string;
  nom: string | null;
  prenom: string | null;
  /** The certificate's title, e.g. "Médecin", "Sage-femme". */
  profession: string | null;
  expired: boolean;
  certificate: {
    label: string;
    issuer: string;
    serialNumber: string;
    validity: { notBefore: string; notAfter: string; expired: boolean; notYetValid: boolean };
    privateExtensions: { oid: string; value: string }[];
  };
  token: {
    module: string;
    slotDescription: string;
    label: string;
    serialNumber: string;
    match: "slotDescription" | "tokenSerial" | "singleToken";
  };
}
export interface OdSearchResult {
  query: string;
  tableVersion: string;
  total: number;
  results: {
    organisme: OrganismeDestinataire;
    score: number;
    matchedOn: "code" | "od" | "libelle" | "commune" | "codePostal" | "regimeLibelle" | "usualName";
    /** With matchedOn "usualName": which one, e.g. "MSA". */
    usualName: string | null;
  }[];
}
export interface CardEvent {
  type: CardEventName;
  reader: string;
  cardType: CardType | null;
}

export interface ConnectOptions {
  /**
   * Milliseconds for each call, consent prompt included (default 150000). The extension closes
   * an unanswered consent window just before it and rejects connect() with TIMED_OUT.
   */
  timeout?: number;
  /** Milliseconds to wait for the extension to answer at all (default 1500). */
  detectTimeout?: number;
  window?: Window;
}
export interface ReadVitaleOptions {
  /** "auto" (default): full when a CPS is present, clear otherwise. */
  scope?: "auto" | "clear" | "full";
  /** Attach the organisme destinataire when AMO data is read (default true). */
  resolveOd?: boolean;
  reader?: string;
  /** false: read the card even when the same card is still in its reader (default true: a repeat read comes from memory). */
  cache?: boolean;
  timeout?: number;
}

export declare class VitaleBridge {
  static connect(options?: ConnectOptions): Promise<VitaleBridge>;
  readonly extension: { version: string; protocolVersion: string };
  readonly host: BridgeStatus;
  status(): Promise<BridgeStatus>;
  readers(): Promise<ReadersList>;
  readVitale(options?: ReadVitaleOptions): Promise<VitaleRead>;
  cpsStatus(): Promise<CpsStatus>;
  /** Who holds the CPS (no PIN). Rejects with Pkcs11UnavailableError, NoTokenError, NoCertificateError. */
  cpsIdentity(options?: { timeout?: number }): Promise<CpsIdentity>;
  resolveOd(regime: string, caisse: string, centre: string): Promise<OrganismeDestinataire>;
  searchOd(text: string, options?: { limit?: number }): Promise<OdSearchResult>;
  on(event: CardEventName, listener: (event: CardEvent) => void): () => void;
  off(event: CardEventName, listener: (event: CardEvent) => void): void;
  eventsReady(): Promise<void>;
  close(): void;
}
export default VitaleBridge;
